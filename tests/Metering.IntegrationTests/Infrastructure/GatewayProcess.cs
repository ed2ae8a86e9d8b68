using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Metering.IntegrationTests.Infrastructure;

/// <summary>The gateway (a silo with its embedded gateway) as a separate process, built with the solution: for tests that kill
/// it with SIGKILL, stop it with SIGTERM, pause it with SIGSTOP, or run several on one database as a cluster.</summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    public const string ApiKey = "crash-test-key";
    public const string AdminKey = "cluster-admin-key";

    private readonly Process _process;
    private readonly string _connectionString;
    private readonly IReadOnlyDictionary<string, string> _environment;

    private GatewayProcess(Process process, Uri address, string connectionString, IReadOnlyDictionary<string, string> environment)
    {
        _process = process;
        Address = address;
        _connectionString = connectionString;
        _environment = environment;
    }

    public Uri Address { get; }

    public int Port => Address.Port;

    public bool HasExited => _process.HasExited;

    public void Kill() => _process.Kill(entireProcessTree: true); // SIGKILL on Linux

    /// <summary>SIGTERM: the graceful stop (drain requests, hand partitions off, leave); waits for the exit.</summary>
    public async Task TerminateAsync()
    {
        Signal("TERM");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
    }

    /// <summary>SIGSTOP: the process stays, frozen, with its connections open (a long GC pause, a VM migration).</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        using Process kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

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

    /// <summary>Starts the same silo again, on the same port and settings (a restart).</summary>
    public Task<GatewayProcess> RestartAsync() => StartAsync(_connectionString, Port, _environment);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A graceful stop, so a process run under coverage writes what it covered; killed if it hangs.
            Resume();
            Signal("TERM");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(true);
            }
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    /// <summary>A client of the bootstrap tenant.</summary>
    public HttpClient Client(string apiKey = ApiKey) => new()
    {
        BaseAddress = Address,
        Timeout = TimeSpan.FromSeconds(40),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", apiKey) },
    };

    public static string RepositoryRoot()
    {
        string dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Metering.sln")))
        {
            dir = Path.GetDirectoryName(dir)!;
        }

        return dir;
    }

    public static string Configuration => AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    // The gateway built beside the tests: under coverage its assemblies are the instrumented ones, so silo processes count too.
    private static string GatewayDll() => Path.Combine(AppContext.BaseDirectory, "Metering.Gateway.dll");

    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a gateway on <paramref name="port"/> (a free one by default) and waits until it is ready.</summary>
    public static async Task<GatewayProcess> StartAsync(string connectionString, int? port = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        int listen = port ?? FreePort();
        var start = new ProcessStartInfo("dotnet", [GatewayDll(), "--urls", $"http://127.0.0.1:{listen}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["METERING_DB"] = connectionString;
        start.Environment["METERING_BOOTSTRAP_API_KEY"] = ApiKey;
        start.Environment["METERING_ADMIN_KEY"] = AdminKey;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        environment ??= new Dictionary<string, string>();
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        // Warnings and errors of every silo go to .data/silo-logs/<port>.log, to explain a failure after the fact.
        string logs = Path.Combine(RepositoryRoot(), ".data", "silo-logs");
        Directory.CreateDirectory(logs);
        var log = TextWriter.Synchronized(new StreamWriter(Path.Combine(logs, $"{listen}.log"), append: true) { AutoFlush = true });
        log.WriteLine($"--- {DateTimeOffset.UtcNow:O} pid {process.Id}");
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) log.WriteLine(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) log.WriteLine(line.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{listen}");
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        for (int i = 0; i < 600; i++)
        {
            try
            {
                if ((await probe.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return new GatewayProcess(process, address, connectionString, environment);
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
