using System.Reflection;

namespace ContextNets.Tests.Import;

/// <summary>
/// The ML.NET ResNet-18 featurizer (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0, which the test project
/// downloads on restore): a CNTK 2.6 export of an ImageNet ResNet-18 at opset 8, and its preprocessing graph. The
/// package folder is looked up where restore put it (the NuGetPackageRoot recorded at build), then under
/// NUGET_PACKAGES and ~/.nuget/packages.
/// </summary>
internal static class PretrainedFiles
{
    private const string Package = "microsoft.ml.dnnimagefeaturizer.resnet18", Version = "0.24.0";

    public static string ResNet18 => Find(Path.Combine("tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"));

    public static string Preprocess => Find(Path.Combine("tools", "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx"));

    private static string Find(string relative)
    {
        var roots = new[]
        {
            typeof(PretrainedFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value,
            Environment.GetEnvironmentVariable("NUGET_PACKAGES"),
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
        };
        foreach (var root in roots.Where(r => !string.IsNullOrEmpty(r)))
        {
            string path = Path.Combine(root!, Package, Version, relative);
            if (File.Exists(path)) return path;
        }
        Assert.Fail($"{relative} of NuGet's {Package} {Version} is not in the package cache ({string.Join(", ", roots.Where(r => !string.IsNullOrEmpty(r)))}): run dotnet restore on the test project.");
        return "";
    }
}
