using System.CommandLine;
using System.Runtime.InteropServices;

namespace ContextNets.Cli;

/// <summary>`ctxnet info`: what the engine runs on.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print the versions, the oneDNN instruction set in use and the thread count.");
        command.SetAction(_ =>
        {
            Engine.EnsureNative();
            var rows = new (string, string)[]
            {
                ("ContextNets", typeof(Tensor).Assembly.GetName().Version?.ToString(3) ?? "?"),
                (".NET", RuntimeInformation.FrameworkDescription),
                ("OS", RuntimeInformation.OSDescription),
                ("oneDNN", Engine.OneDnnVersion),
                ("oneDNN ISA", Engine.OneDnnIsa),
                ("threads", $"{Engine.Threads} (of {Environment.ProcessorCount} cores; set CTXNET_THREADS or OMP_NUM_THREADS to change)"),
                ("activation layout", Engine.ActivationFormat == MemoryFormat.ChannelsLast ? "channels-last (NHWC)" : "row-major (NCHW)"),
            };
            foreach (var (k, v) in rows) Console.WriteLine($"{k,-18} {v}");
            return 0;
        });
        return command;
    }
}
