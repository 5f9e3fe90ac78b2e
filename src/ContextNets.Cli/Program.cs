using System.CommandLine;
using ContextNets;
using ContextNets.Cli;
using ContextNets.Data;

var root = new RootCommand("ContextNets: convolutional networks with global-context attention, on the CPU.");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(SegmentCommand.Create());
root.Subcommands.Add(DetectCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(AnalyzeCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(RunCommand.Create());
try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (NativeDependencyException e)
{
    Console.Error.WriteLine(e.Message);
    return ExitCodes.NativeMissing;
}
catch (CliException e)
{
    Console.Error.WriteLine(e.Message);
    return e.ExitCode;
}
catch (Exception e) when (e is DatasetNotFoundException or InvalidDataException or FileNotFoundException or ContextNets.Training.Distributed.ReplicaMismatchException)
{
    Console.Error.WriteLine(e.Message);
    return ExitCodes.BadInput;
}
