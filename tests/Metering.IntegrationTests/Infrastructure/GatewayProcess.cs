using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>The gateway as a separate process (built with the solution), for tests that kill it with SIGKILL.</summary>
public sealed class GatewayProcess(Process process, Uri address) : IAsyncDisposable
{
    public const string ApiKey = "crash-test-key";

    public Uri Address { get; } = address;

    public void Kill() => process.Kill(entireProcessTree: true); // SIGKILL on Linux

    /// <summary>Kills the process (SIGKILL) once <paramref name="condition"/> holds, then stops the workers and waits for them.</summary>
    public async Task KillWhenAsync(Func<bool> condition, CancellationTokenSource workers, IEnumerable<Task> running)
    {
        while (!condition())
        {
            await Task.Delay(2);
        }

        Kill();
        await workers.CancelAsync();
        await Task.WhenAll(running);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>A client of the bootstrap tenant.</summary>
    public HttpClient Client() => new()
    {
        BaseAddress = Address,
        Timeout = TimeSpan.FromSeconds(20),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", ApiKey) },
    };

    private static string GatewayDll()
    {
        string dir = AppContext.BaseDirectory;
        string configuration = dir.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        while (!File.Exists(Path.Combine(dir, "Metering.sln")))
        {
            dir = Path.GetDirectoryName(dir)!;
        }

        return Path.Combine(dir, "src", "Gateway", "bin", configuration, "net10.0", "Metering.Gateway.dll");
    }

    public static async Task<GatewayProcess> StartAsync(string connectionString)
    {
        int port;
        using (var listener = new TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo("dotnet", [GatewayDll(), "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["METERING_DB"] = connectionString;
        start.Environment["METERING_BOOTSTRAP_API_KEY"] = ApiKey;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}");
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        for (int i = 0; i < 300; i++)
        {
            try
            {
                if ((await probe.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return new GatewayProcess(process, address);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            Assert.False(process.HasExited, "the gateway exited during start");
            await Task.Delay(100);
        }

        throw new TimeoutException("the gateway did not become ready");
    }
}
