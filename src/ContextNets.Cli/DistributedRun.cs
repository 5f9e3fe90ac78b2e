using System.CommandLine;
using System.Globalization;
using ContextNets.NN;
using ContextNets.Training.Distributed;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet train --distributed` under mpirun: the options, the start of MPI, and the rules that keep the ranks of a
/// job together. An error that every rank meets alike ends every rank on its own (exit 2); an error on one rank
/// aborts the whole job (MPI_Abort), because the others would wait for it forever in their next collective.
/// </summary>
internal static class DistributedRun
{
    public static readonly Option<bool> DistributedOpt = new("--distributed") { Description = "Data-parallel training: start the ranks with mpirun -np N ctxnet train --distributed ...; each takes its share of every --batch-size (the global batch)." };
    public static readonly Option<bool> SyncBnOpt = new("--sync-bn") { Description = "In --distributed runs, BatchNorm uses the statistics of the whole global batch, forward and backward (recorded, so that a resume with --distributed keeps it)." };
    public static readonly Option<double> BucketOpt = new("--bucket-mb") { Description = "With --distributed: the size of a gradient bucket, in MB, whose allreduce starts as soon as backward has filled it.", DefaultValueFactory = _ => 25 };
    public static readonly Option<int?> SubsetOpt = new("--subset") { Description = "Train on the first N training images only (quick runs, tests)." };

    /// <summary>The options that the run's config.json records (a resume takes them from there).</summary>
    public static readonly Option[] RecipeOptions = [SyncBnOpt, SubsetOpt];

    /// <summary>MPI's world when --distributed is given, else null; the other distributed options need it.</summary>
    public static Replicas? StartIfAsked(ParseResult p)
    {
        double bucket = p.GetValue(BucketOpt);
        if (!p.GetValue(DistributedOpt))
        {
            if (p.GetResult(BucketOpt) is { Implicit: false }) throw new CliException("--bucket-mb applies to --distributed runs only.");
            return null;
        }
        if (!(bucket > 0) || bucket > 2048) throw new CliException($"--bucket-mb must be in (0, 2048], not {bucket}.");
        return Replicas.Start();
    }

    public static long BucketBytes(ParseResult p) => (long)(p.GetValue(BucketOpt) * (1 << 20));

    /// <summary>
    /// Runs <paramref name="train"/>; in a job of several ranks, a failure of this rank alone is printed with its rank
    /// and ends the whole job with the failure's exit code.
    /// </summary>
    public static int Guard(Replicas? replicas, Func<int> train)
    {
        if (replicas is not { Count: > 1 }) return train();
        try
        {
            return train();
        }
        catch (Exception e) when (e is not ReplicaMismatchException && e is not CliException { OnEveryRank: true })
        {
            int code = e switch
            {
                CliException c => c.ExitCode,
                NativeDependencyException => ExitCodes.NativeMissing,
                InvalidDataException or FileNotFoundException => ExitCodes.BadInput,
                _ => 1,
            };
            string what = e is CliException or InvalidDataException or FileNotFoundException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            Console.Error.WriteLine($"Rank {replicas.Rank} of {replicas.Count} failed, stopping the job: {what}");
            Console.Error.Flush();
            replicas.Abort(code);
            return code;
        }
    }

    /// <summary>
    /// Text that rank 0 alone can make (it reads the run folder, which the other machines may not have), on every rank;
    /// a <see cref="CliException"/> on rank 0 is raised on every rank.
    /// </summary>
    public static string FromRoot(Replicas? replicas, Func<string> onRoot)
    {
        if (replicas is null) return onRoot();
        string payload;
        if (replicas.IsRoot)
        {
            try { payload = "+" + onRoot(); }
            catch (CliException e) { payload = "-" + e.Message; }
        }
        else payload = "";
        payload = replicas.Broadcast(payload);
        if (payload.StartsWith('-')) throw new CliException(payload[1..]) { OnEveryRank = true };
        return payload[1..];
    }

    /// <summary>Checks that every rank runs the same recipe on the same data, with the same buckets.</summary>
    public static void Agree(Replicas replicas, RunConfig config, RunData data, long bucketBytes)
    {
        if (config.BatchSize % replicas.Count != 0)
            throw new CliException($"--batch-size {config.BatchSize} (the global batch) does not split evenly over {replicas.Count} ranks.") { OnEveryRank = true };
        var document = config.ToJson();
        document["train_images"] = data.Train.Count;
        document["test_images"] = data.Test.Count;
        document["bucket_bytes"] = bucketBytes;
        replicas.Agree(document.ToJsonString(), "configuration");
    }

    /// <summary>Every BatchNorm of the model normalizes over the whole global batch.</summary>
    public static void SynchronizeBatchNorm(Module model, Replicas replicas)
    {
        foreach (var (_, m) in model.NamedModules())
            if (m is BatchNorm2d bn) bn.Replicas = replicas;
    }

    public static string Describe(Replicas replicas, RunConfig config, long bucketBytes) => string.Create(CultureInfo.InvariantCulture,
        $"Distributed: {replicas.Count} ranks, {config.BatchSize / replicas.Count} images each per step, gradients averaged in {bucketBytes / (double)(1 << 20):0.##} MB buckets, BatchNorm {(config.SyncBn ? "synchronized" : "per rank")}");
}
