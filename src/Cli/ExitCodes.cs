namespace Metering.Cli;

/// <summary>The process exit codes of <c>metering</c>, distinct per kind of outcome so scripts can branch on them.</summary>
public static class ExitCodes
{
    /// <summary>Everything asked was done.</summary>
    public const int Ok = 0;

    /// <summary>The server refused the request as a whole (4xx: unknown id, bad input, missing scope).</summary>
    public const int Refused = 1;

    /// <summary>The command line is wrong: unknown command or option, missing argument, unreadable file, no URL or key.</summary>
    public const int Usage = 2;

    /// <summary>Some items were done and some were not (events rejected or left unsent); the summary says which.</summary>
    public const int PartialFailure = 3;

    /// <summary>The server failed or could not be reached (5xx, connection refused, timeout), after retries.</summary>
    public const int ServerError = 4;

    /// <summary>Unauthenticated or forbidden: the key is missing, unknown, revoked or lacks the scope.</summary>
    public const int AuthFailure = 5;

    /// <summary>Stopped by Ctrl-C; what was acknowledged is kept and a resumable command continues from there.</summary>
    public const int Interrupted = 130;
}
