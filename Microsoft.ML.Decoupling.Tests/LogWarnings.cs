using Microsoft.ML.Runtime;

namespace Microsoft.ML.Decoupling.Tests;

/// <summary>Collects the warnings an MLContext logs (from any thread), for tests that assert on them.</summary>
internal sealed class LogWarnings
{
    private readonly List<string> _messages = [];

    private LogWarnings()
    {
    }

    /// <summary>The warnings' raw messages so far (a copy).</summary>
    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>Starts collecting <paramref name="context"/>'s warnings.</summary>
    public static LogWarnings Of(MLContext context)
    {
        var warnings = new LogWarnings();
        context.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning)
            {
                lock (warnings._messages)
                {
                    warnings._messages.Add(e.RawMessage);
                }
            }
        };
        return warnings;
    }
}
