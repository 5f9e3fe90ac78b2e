using System.Runtime.InteropServices;

namespace ContextNets.IO;

/// <summary>
/// fsync on a directory, which makes a rename inside it durable: without it a
/// power loss after File.Move may bring back the old directory entry. .NET has
/// no portable call for it (File.OpenHandle refuses directories), so this asks
/// libc on Linux and macOS; elsewhere it does nothing.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;
    private const int EInval = 22;

    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int fd = Open(directory, ReadOnly);
        if (fd < 0) throw new IOException($"Could not open the directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            // Some file systems cannot fsync a directory and say EINVAL; their renames are as durable as they get.
            if (FSync(fd) != 0 && Marshal.GetLastPInvokeError() is int errno && errno != EInval)
                throw new IOException($"fsync on the directory {directory} failed (errno {errno}); the last rename may not survive a power loss.");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
