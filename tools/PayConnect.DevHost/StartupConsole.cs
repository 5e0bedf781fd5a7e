using System.Diagnostics;
using System.Globalization;

namespace PayConnect.DevHost;

/// <summary>The dev host's own progress: one line per step, so a developer sees what started and where.</summary>
public sealed class StartupConsole(TextWriter writer)
{
    private readonly Lock _gate = new();

    public void Line(string text)
    {
        lock (_gate)
        {
            writer.WriteLine(text);
            writer.Flush();
        }
    }

    /// <summary>Writes "text … " now; the returned step completes the line.</summary>
    public Step Begin(string text)
    {
        lock (_gate)
        {
            writer.Write(text + " … ");
            writer.Flush();
        }

        return new Step(this);
    }

    public sealed class Step(StartupConsole console)
    {
        private readonly Stopwatch _elapsed = Stopwatch.StartNew();

        public void Done(string outcome = "ready") =>
            console.Line(string.Create(CultureInfo.InvariantCulture, $"{outcome} ({_elapsed.Elapsed.TotalSeconds:0.0} s)"));

        public void Failed() => console.Line("failed");
    }
}

/// <summary>A TextWriter over <see cref="StartupConsole"/>, line by line, for code that reports through a writer.</summary>
internal sealed class StartupConsoleWriter(StartupConsole console) : TextWriter
{
    private readonly System.Text.StringBuilder _line = new();

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value)
    {
        if (value == '\n')
        {
            console.Line(_line.ToString().TrimEnd('\r'));
            _line.Clear();
        }
        else
        {
            _line.Append(value);
        }
    }
}
