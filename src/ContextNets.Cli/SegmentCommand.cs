using System.CommandLine;
using ContextNets.Data;
using ContextNets.Data.Transforms;
using ContextNets.IO;
using ContextNets.Models.Segmentation;
using ContextNets.Training.Segmentation;

namespace ContextNets.Cli;

/// <summary>
/// `ctxnet segment RUN|MODEL IMAGE...`: for each image, NAME.overlay.png (the class colours over the image) and
/// NAME.classes.png (the class index of every pixel, gray) in --out. RUN is a segmentation run folder; MODEL a
/// segmenter of the catalog with --weights (torchvision's keys) and --classes, run at --size.
/// </summary>
internal static class SegmentCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("RUN|MODEL") { Description = "A segmentation run folder (ctxnet train --task segment), or a segmenter's name with --weights." };
        var images = new Argument<string[]>("IMAGE") { Description = "PNG or JPEG files.", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string>("--out", "-o") { Description = "The folder to write the PNGs into.", DefaultValueFactory = _ => "." };
        var checkpoint = new Option<string>("--checkpoint") { Description = "For a run: best or last.", DefaultValueFactory = _ => SegmentationTrainer.Best };
        var weights = new Option<string?>("--weights") { Description = "For a model name: its weights (safetensors or .pth, torchvision's keys)." };
        var classes = new Option<int>("--classes") { Description = "For a model name: its class count.", DefaultValueFactory = _ => Segmenters.DefaultClasses };
        var size = new Option<int>("--size") { Description = "For a model name: the square side images are resized to.", DefaultValueFactory = _ => 512 };
        var val = new Option<int>("--val-images") { Description = "For a run, instead of IMAGE files: N of its val images (spread evenly), each also written as valI.png with its ground truth valI.truth.png." };
        var command = new Command("segment", "Segment images with a trained run or a segmenter's weights: writes colour overlays and class maps.") { source, images, output, checkpoint, weights, classes, size, val };
        command.SetAction(p =>
        {
            var files = p.GetValue(images)!;
            int valCount = p.GetValue(val);
            string dir = p.GetValue(output)!, from = p.GetValue(source)!;
            if (valCount < 0 || (valCount > 0) == (files.Length > 0))
                throw new CliException("Give IMAGE files or --val-images N (N >= 1), not both.");
            if (valCount > 0 && !SegmentRun.Is(from)) throw new CliException($"--val-images reads a run's val images; {from} is not a segmentation run folder.");
            foreach (var f in files)
                if (!File.Exists(f)) throw new CliException($"The image {f} does not exist.");
            var valSet = valCount > 0 ? SegmentRun.Load(from).OpenData().Val : null;
            if (valSet is not null && valCount > valSet.Count) throw new CliException($"--val-images {valCount} is more than the {valSet.Count} val images of the run's data.");
            var (model, side) = SegmentRun.Is(from) ? FromRun(from, p.GetValue(checkpoint)!) : FromWeights(from, p.GetValue(weights), p.GetValue(classes), p.GetValue(size));
            using (model)
            {
                Directory.CreateDirectory(dir);
                void Write(string shown, string name, Image8 image)
                {
                    var map = ImageSegmentation.ClassMap(model, image, side, Normalize.ImageNet);
                    string stem = Path.Combine(dir, name);
                    var overlay = ImageSegmentation.Overlay(image, map);
                    Png.Write(stem + ".overlay.png", overlay.Pixels, overlay.Width, overlay.Height, 3);
                    Png.Write(stem + ".classes.png", map, image.Width, image.Height, 1);
                    Console.WriteLine($"{shown}: {stem}.overlay.png, {stem}.classes.png ({map.Distinct().Count()} classes present)");
                }
                foreach (var f in files) Write(f, Path.GetFileNameWithoutExtension(f), ImageDecoder.Load(f, 3));
                for (int i = 0; i < valCount; i++)
                {
                    int index = (int)((long)i * valSet!.Count / valCount);
                    var sample = valSet[index];
                    string stem = Path.Combine(dir, $"val{i}");
                    Png.Write(stem + ".png", sample.Image.Pixels, sample.Image.Width, sample.Image.Height, sample.Image.Channels);
                    var truth = ImageSegmentation.Overlay(sample.Image, sample.Labels);
                    Png.Write(stem + ".truth.png", truth.Pixels, truth.Width, truth.Height, 3);
                    Write($"val image {index}", $"val{i}", sample.Image);
                }
            }
            return 0;
        });
        return command;
    }

    private static (Segmenter, int) FromRun(string run, string checkpoint)
    {
        var (config, model, _) = SegmentRun.LoadModel(run, checkpoint);
        return (model, config.Recipe.BaseSize);
    }

    internal static (Segmenter, int) FromWeights(string name, string? weights, int classes, int size)
    {
        if (!Segmenters.IsSegmenter(name))
            throw new CliException($"'{name}' is neither a segmentation run folder (no {SegmentRun.ConfigFile}) nor a segmenter (fcn_, deeplabv3_ or ccnet_ with an ImageNet body of the zoo).");
        if (weights is null) throw new CliException($"Segmenting with {name} needs its --weights (a random network segments nothing).");
        if (classes < 2 || classes > 255) throw new CliException($"--classes is in [2, 255], not {classes}.");
        if (size < 32) throw new CliException($"--size must be at least 32, not {size}.");
        var (model, _) = WeightsFile.Load(weights, name, classes, segmenters: true);
        return ((Segmenter)model, size);
    }
}
