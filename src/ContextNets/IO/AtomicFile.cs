namespace ContextNets.IO;

/// <summary>
/// Writes a file so that a reader (or a crash) sees either the old file or the
/// whole new one: the bytes go to a temporary file beside it, are flushed to
/// disk, the temporary is renamed over the target, and the directory is
/// flushed so that the rename itself is on disk. A failure (a full disk, say)
/// deletes the temporary and leaves the previous file as it was.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
        DirectorySync.Flush(dir);
    }
}
