using System.CommandLine;
using System.Globalization;
using ContextNets.Data;
using ContextNets.Detection;
using ContextNets.IO;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet detect RUN|MODEL IMAGE...`: for each image, NAME.detections.png (masks, boxes and captions over the image,
/// <see cref="DetectionPicture"/>) and NAME.detections.json (<see cref="DetectionJson"/>) in --out, with the detections
/// scoring at least --score-threshold. RUN is a detection run folder; MODEL a detector's name with --weights.
/// </summary>
internal static class DetectCommand
{
    public const float DefaultScoreThreshold = 0.5f;

    public static Command Create()
    {
        var source = new Argument<string>("RUN|MODEL") { Description = "A detection run folder (ctxnet train --task detect), or a detector's name (ctxnet models) with --weights." };
        var images = new Argument<string[]>("IMAGE") { Description = "PNG or JPEG files.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "The folder to write NAME.detections.png and NAME.detections.json into.", DefaultValueFactory = _ => "." };
        var threshold = new Option<float>("--score-threshold") { Description = "Keep the detections scoring at least this (0 to 1).", DefaultValueFactory = _ => DefaultScoreThreshold };
        var options = new DetectorSource.Options();
        var command = new Command("detect", "Detect objects with a trained detection run or a detector's weights: writes pictures with boxes, masks and labels, and JSON.")
        {
            source, images, output, threshold, options.Weights, options.Classes, options.MinSize, options.MaxSize,
        };
        command.SetAction(p =>
        {
            float minScore = p.GetValue(threshold);
            if (!(minScore is >= 0f and <= 1f)) throw new CliException($"--score-threshold is a score in [0, 1], not {minScore.ToString(CultureInfo.InvariantCulture)}.");
            var files = p.GetValue(images)!;
            var pictures = Read(files);
            string dir = p.GetValue(output)!;
            if (File.Exists(dir)) throw new CliException($"--out {dir} is a file, not a folder.");
            using var detector = DetectorSource.Open(p.GetValue(source)!, p, options);
            Directory.CreateDirectory(dir);
            for (int i = 0; i < files.Length; i++)
            {
                var detections = ImageDetection.Detect(detector.Model, pictures[i], minScore);
                string stem = Path.Combine(dir, Path.GetFileNameWithoutExtension(files[i]) + ".detections");
                var canvas = DetectionPicture.Draw(pictures[i], detections, detector.NameOf);
                Png.Write(stem + ".png", canvas.Pixels, canvas.Width, canvas.Height, 3);
                DetectionJson.Write(stem + ".json", files[i], pictures[i], detections, detector, minScore);
                Console.WriteLine($"{files[i]}: {detections.Count} detection{(detections.Count == 1 ? "" : "s")} -> {stem}.png, {stem}.json");
            }
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Every image decoded before the detector is loaded or anything written, so that a missing or corrupt one is refused
    /// with nothing done; two images that would write the same outputs are refused too.
    /// </summary>
    private static Image8[] Read(string[] files)
    {
        foreach (var f in files)
            if (!File.Exists(f)) throw new CliException($"The image {f} does not exist.");
        var clash = files.GroupBy(Path.GetFileNameWithoutExtension).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new CliException($"{string.Join(" and ", clash.Take(2))} would both write {clash.Key}.detections.png: detect them into different --out folders.");
        return [.. files.Select(f => ImageDecoder.Load(f, 3))];
    }
}
