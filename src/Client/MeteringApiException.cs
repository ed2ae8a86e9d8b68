using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Metering.Client;

/// <summary>An API answer other than the one expected, with its status and problem code.</summary>
public sealed class MeteringApiException(int status, string? code, string body) : Exception($"HTTP {status} {code}: {body}")
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The problem's stable code, when there is one.</summary>
    public string? Code { get; } = code;
}
