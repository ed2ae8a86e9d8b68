using System.Net.Http.Json;
using System.Text.Json;
using Metering.Gateway.Infrastructure;
using Metering.Runtime;

namespace Metering.Gateway.Dashboard;

/// <summary>Asks every other live silo for its own part of a dashboard view (the same path with <c>scope=node</c>), with the
/// caller's credentials, so that one node's dashboard shows the cluster. A silo that does not answer within
/// <see cref="Timeout"/> is reported as unreachable, never waited for.</summary>
public sealed class ClusterPeers(Metering.Runtime.Silo silo) : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1.5);

    private readonly HttpClient _client = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    /// <summary>This silo's id.</summary>
    public string Self => silo.Options.SiloId;

    /// <summary>Each other active silo with an address, and its answer to <paramref name="pathAndQuery"/> (null when it gave none).</summary>
    public async Task<IReadOnlyList<(SiloInfo Silo, T? Answer)>> AskAsync<T>(string pathAndQuery, string? authorization, CancellationToken ct) where T : class
    {
        IReadOnlyList<SiloInfo> silos = await silo.Membership.ListAsync(ct);
        IEnumerable<SiloInfo> peers = silos.Where(s => s.Status == SiloStatus.Active && s.Id != Self && Uri.TryCreate(s.Address, UriKind.Absolute, out _));
        return await Task.WhenAll(peers.Select(async peer => (peer, await AskOneAsync<T>(peer, pathAndQuery, authorization, ct))));
    }

    private async Task<T?> AskOneAsync<T>(SiloInfo peer, string pathAndQuery, string? authorization, CancellationToken ct) where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(peer.Address), pathAndQuery));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        try
        {
            using HttpResponseMessage response = await _client.SendAsync(request, timeout.Token);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<T>(Wire.Json, timeout.Token) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    public void Dispose() => _client.Dispose();
}
