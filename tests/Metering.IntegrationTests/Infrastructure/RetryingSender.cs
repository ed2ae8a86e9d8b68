using System.Text.Json;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>Sends writes to a cluster as a careful client does: round-robin over the silos, and on a failure (503, or a silo
/// that cannot be reached) the same request, with the same idempotency key, to the next silo until it gets a definite answer.</summary>
public sealed class RetryingSender(HttpClient[] clients)
{
    private int _next;

    public int Failovers;

    public async Task<(int Status, JsonElement Body)> PostAsync(string path, object body, TimeSpan? patience = null)
    {
        DateTime until = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(90));
        int index = Interlocked.Increment(ref _next);
        while (true)
        {
            HttpClient client = clients[(index & int.MaxValue) % clients.Length];
            try
            {
                (int status, JsonElement answer) = await client.PostAsync(path, body);
                if (status != 503)
                {
                    return (status, answer);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            Interlocked.Increment(ref Failovers);
            Assert.True(DateTime.UtcNow < until, $"no silo gave a definite answer to {path} in time");
            index++;
            await Task.Delay(20);
        }
    }
}
