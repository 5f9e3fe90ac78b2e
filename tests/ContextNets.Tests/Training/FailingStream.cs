namespace ContextNets.Tests.Training;

/// <summary>Passes writes through until a byte budget is spent, writes the part that fits, then throws: a crash or a full disk mid-file.</summary>
internal sealed class FailingStream(Stream inner, long budget, Func<Exception> failure) : Stream
{
    private long _left = budget;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        int n = (int)Math.Min(_left, buffer.Length);
        inner.Write(buffer[..n]);
        _left -= n;
        if (n < buffer.Length) throw failure();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void WriteByte(byte value) => Write([value]);
    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public static Exception DiskFull() => new IOException("No space left on device");
    public static Exception Crash() => new InvalidOperationException("the writer died");
}
