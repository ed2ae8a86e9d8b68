using System.Net.Http.Json;
using Metering.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Metering.Client;

/// <summary>Calls grains in a Metering cluster from another .NET service, by interface, like Orleans' <c>IClusterClient</c>:
/// <c>client.GetGrain&lt;IQuotaGrain&gt;(QuotaKey.Of(tenant, subscription, meter)).CheckAsync(1)</c>. Each call goes straight
/// to the silo that owns the grain's partition; the directory of owners is fetched from the silos and refreshed when a call
/// finds it stale (an owner moved, or died).</summary>
public sealed class ClusterClient : IGrainFactory, IDisposable
{
    private readonly ClusterDirectory _directory;
    private readonly RemoteGrainInvoker _invoker;
    private readonly GrainFactory _factory;
    private readonly HttpClient _http;

    private ClusterClient(ClusterClientOptions options, ILogger logger)
    {
        var credential = new ClusterCredential(options.ClusterSecret);
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var seeds = options.Gateways.ToList();
        _directory = new ClusterDirectory(ct => FetchDirectoryAsync(seeds, credential, ct));
        _invoker = new RemoteGrainInvoker(_directory, credential, options.RetryWindow, options.CallTimeout, logger);
        _factory = new GrainFactory(_invoker, key => PartitionTable.PartitionOf(key, _directory.Partitions));
    }

    /// <summary>Connects: fetches the directory from one of <see cref="ClusterClientOptions.Gateways"/>.</summary>
    public static async Task<ClusterClient> ConnectAsync(ClusterClientOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        if (options.Gateways.Count == 0 || string.IsNullOrEmpty(options.ClusterSecret))
        {
            throw new ArgumentException("A cluster client needs at least one gateway address and the cluster secret.", nameof(options));
        }

        var client = new ClusterClient(options, logger ?? NullLogger.Instance);
        await client._directory.RefreshAsync(cancellationToken).ConfigureAwait(false);
        return client;
    }

    /// <summary>The silos that own partitions now, by address.</summary>
    public IReadOnlyList<string> Silos => [.. _directory.Owners.OfType<PartitionOwner>().Select(o => o.Address).Distinct().Order()];

    /// <inheritdoc />
    public TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey => _factory.GetGrain<TGrain>(key);

    /// <summary>Asks the configured gateways first, then every silo the last directory named, for the directory.</summary>
    private async Task<(int, IReadOnlyList<PartitionOwner>)> FetchDirectoryAsync(List<Uri> seeds, ClusterCredential credential, CancellationToken cancellationToken)
    {
        IEnumerable<Uri> candidates = seeds.Concat(_directory.Owners.OfType<PartitionOwner>().Select(o => new Uri(o.Address)).Distinct());
        Exception? last = null;
        foreach (Uri candidate in candidates)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(candidate, SiloEndpoints.DirectoryPath));
                request.Headers.Add(ClusterCredential.Header, credential.Token);
                using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
                DirectoryDocument document = (await response.Content.ReadFromJsonAsync<DirectoryDocument>(cancellationToken).ConfigureAwait(false))!;
                return (document.Partitions, document.Owners);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                last = ex;
            }
        }

        throw new ClusterUnavailableException("No silo answered with the directory.", last);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _invoker.Dispose();
        _http.Dispose();
    }
}
