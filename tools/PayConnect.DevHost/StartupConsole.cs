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
