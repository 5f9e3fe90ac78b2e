using System.CommandLine;
using System.CommandLine.Invocation;
using ContextNets;
using ContextNets.Cli;

var root = new RootCommand("ContextNets: convolutional networks with global-context attention, on the CPU.");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (NativeDependencyException e)
{
    Console.Error.WriteLine(e.Message);
    return 3;
}
