using System.Diagnostics;
using System.Text;
using Metering.Client;

// Open-model load generator: requests start at a fixed arrival rate whatever the answers do, and latency is measured
// from each request's intended send time (no coordinated omission). Loopback only; bounded in count and time.
//   dotnet run --project loadtests/Metering.LoadGen -- <url> <admin-key> <scenario: batch|single|check|consume> <rate/s> <seconds> [batch-size]
//   ... <url> <admin-key> duplicates <n>: latency of n first writes against n retries of them (one at a time)
//   ... <url> <admin-key> queries <events>: usage queries (minute windows, odd-minute ranges, OpenMeter) over that many events
//   (batch-es256 and single-es256: the same events, each signed with ES256 under the "required" policy; the signatures are
//   made before the clock starts, so the generator's signing does not compete with the server; batch-es256-whole: each batch
//   signed once, as a whole, under the same policy)
//   dotnet run --project loadtests/Metering.LoadGen -- <url> <admin-key> billing <subscriptions>
//   dotnet run --project loadtests/Metering.LoadGen -- <url,url,...> <admin-key> matrix | forwarding <calls> | owner <tenant> <subscription>
// With several URLs (silos of one cluster), requests go round-robin over them.
string url = args.Length > 0 ? args[0] : "http://127.0.0.1:8080";
string adminKey = args.Length > 1 ? args[1] : "admin";
string scenario = args.Length > 2 ? args[2] : "single";
Uri[] silos = [.. url.Split(',').Select(u => new Uri(u))];
if (silos.Any(s => !s.IsLoopback))
{
    Console.Error.WriteLine("Refusing a non-loopback target.");
    return 2;
}

switch (scenario)
{
    case "matrix":
        return await ClusterScenarios.MatrixAsync(silos, adminKey);
    case "forwarding":
        return await ClusterScenarios.ForwardingAsync(silos, adminKey, args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 2000);
    case "owner":
        Console.WriteLine(await ClusterScenarios.OwnerAsync(silos[0], args[3], args[4]));
        return 0;
    case "webhooks-drain":
        return await Metering.LoadGen.WebhookScenarios.DrainAsync(silos[0], adminKey, int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture),
            args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 1);
}

double rate = args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 500;
int seconds = Math.Min(args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 10, 120);
int batchSize = args.Length > 5 ? int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 1000;
var target = silos[0];

const int subscriptions = 50;
if (scenario == "queries")
{
    return await UsageQueries.RunAsync(target, adminKey, (int)rate);
}

if (scenario == "duplicates")
{
    return await Duplicates.RunAsync(target, adminKey, (int)rate);
}

if (scenario == "billing")
{
    return await BillingRun.RunAsync(target, adminKey, (int)rate);
}

using var admin = new MeteringClient(target, adminKey);
string tenant = "load_" + Guid.NewGuid().ToString("N")[..8];
(int status, System.Text.Json.JsonElement created) = await admin.PostAsync("/admin/v1/tenants", new { id = tenant });
if (status != 201)
{
    Console.Error.WriteLine($"Could not create a tenant: {status} {created}");
    return 1;
}

var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
using var client = new MeteringClient(target, created.GetProperty("api_key").GetString()!, handler);
MeteringClient[] spread = [client, .. silos.Skip(1).Select(s => new MeteringClient(s, created.GetProperty("api_key").GetString()!, new SocketsHttpHandler { MaxConnectionsPerServer = 256 }))];
await client.PostAsync("/v1/meters", new { code = "tokens", event_type = "llm_tokens", aggregation = "sum", value_property = "tokens", group_by = new[] { "model" } });
await client.PostAsync("/v1/customers", new { id = "c", currency = "USD" });
await client.PostAsync("/v1/plans", new { code = "p", currency = "USD", interval = "month" });
for (int s = 0; s < subscriptions; s++)
{
    await client.PostAsync("/v1/subscriptions", new { id = $"s{s}", customer_id = "c", plan = "p", subjects = new[] { $"agent:{s}" } });
}

// single-thresholds: single events with per-minute quotas whose thresholds fire about once a second per subscription, and
// an endpoint receiving them; single-quotas: the same quotas without thresholds (the baseline).
Metering.LoadGen.FastReceiver? notifications = null;
if (scenario is "single-thresholds" or "single-quotas")
{
    notifications = await Metering.LoadGen.WebhookScenarios.ThresholdsAsync(client, subscriptions, rate, scenario == "single-thresholds");
    scenario = "single";
}

string offeredScenario = scenario;
bool wholeBatch = scenario == "batch-es256-whole";
bool signed = wholeBatch || scenario.EndsWith("-es256", StringComparison.Ordinal);
scenario = signed ? scenario[..scenario.IndexOf("-es256", StringComparison.Ordinal)] : scenario;
using var signingKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
if (signed)
{
    await client.PostAsync("/v1/signing-keys", new { id = "load", algorithm = "es256", public_key = signingKey.ExportSubjectPublicKeyInfoPem(), subjects = new[] { "*" } });
    await System.Net.Http.Json.HttpClientJsonExtensions.PutAsJsonAsync(client.Http, "/v1/settings/signatures", new { policy = "required" });
}

if (scenario is "check" or "consume")
{
    // A limit no run reaches, so every answer is a full decision (allow) and the figures are of the decision path.
    for (int s = 0; s < subscriptions; s++)
    {
        (int put, System.Text.Json.JsonElement quota) = await client.PutQuotaAsync($"s{s}", "tokens", new { limit = "1000000000000", period = "hour" });
        if (put != 200)
        {
            Console.Error.WriteLine($"Could not set a quota: {put} {quota}");
            return 1;
        }
    }
}

long sequence = 0;
string UnsignedEvent(long n)
    => $"{{\"idempotency_key\":\"{tenant}-{n}\",\"subject\":\"agent:{n % subscriptions}\",\"event_type\":\"llm_tokens\",\"properties\":{{\"tokens\":{n % 1000},\"model\":\"m{n % 3}\"}}}}";

string SignedEvent(long n)
{
    string properties = $"{{\"model\":\"m{n % 3}\",\"tokens\":{n % 1000}}}";
    using var document = System.Text.Json.JsonDocument.Parse(properties);
    byte[] input = Metering.Grains.Signing.SigningInput.Build(tenant, $"{tenant}-{n}", $"agent:{n % subscriptions}", "llm_tokens", Now(), document.RootElement, $"n{n}");
    string value = System.Buffers.Text.Base64Url.EncodeToString(signingKey.SignData(input, System.Security.Cryptography.HashAlgorithmName.SHA256));
    return $"{{\"idempotency_key\":\"{tenant}-{n}\",\"subject\":\"agent:{n % subscriptions}\",\"event_type\":\"llm_tokens\",\"timestamp\":\"{Now()}\",\"properties\":{properties},"
        + $"\"signature\":{{\"key_id\":\"load\",\"algorithm\":\"es256\",\"value\":\"{value}\",\"nonce\":\"n{n}\"}}}}";
}

string? now = null;
string Now() => now ??= DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

string TimedEvent(long n)
    => $"{{\"idempotency_key\":\"{tenant}-{n}\",\"subject\":\"agent:{n % subscriptions}\",\"event_type\":\"llm_tokens\",\"timestamp\":\"{Now()}\",\"properties\":{{\"tokens\":{n % 1000},\"model\":\"m{n % 3}\"}}}}";

// A batch signed once: the signature covers the exact bytes of its events array (BatchSigningInput).
string WholeSignedBatch(long first, int count)
{
    string events = "[" + string.Join(',', Enumerable.Range(0, count).Select(i => TimedEvent(first + i))) + "]";
    byte[] input = Metering.Grains.Signing.BatchSigningInput.Build(tenant, $"b{first}", Encoding.UTF8.GetBytes(events));
    string value = System.Buffers.Text.Base64Url.EncodeToString(signingKey.SignData(input, System.Security.Cryptography.HashAlgorithmName.SHA256));
    return $"{{\"events\":{events},\"signature\":{{\"key_id\":\"load\",\"algorithm\":\"es256\",\"value\":\"{value}\",\"nonce\":\"b{first}\"}}}}";
}

string[] presigned = [];
string EventJson()
{
    long n = Interlocked.Increment(ref sequence);
    return signed ? presigned[n - 1] : UnsignedEvent(n);
}

string[] presignedBatches = [];
int batchesSent = -1;

int perRequest = scenario == "batch" ? batchSize : 1;
HttpRequestMessage NextRequest()
{
    long n = Interlocked.Increment(ref sequence);
    return scenario switch
    {
        "batch" when wholeBatch => Post("/v1/events/batch", presignedBatches[Interlocked.Increment(ref batchesSent)]),
        "batch" => Post("/v1/events/batch", "{\"events\":[" + string.Join(',', Enumerable.Range(0, perRequest).Select(_ => EventJson())) + "]}"),
        "check" => new HttpRequestMessage(HttpMethod.Get, $"/v1/quotas/check?subject=agent:{n % subscriptions}&meter=tokens&amount=1"),
        "consume" => Post("/v1/quotas/consume", $"{{\"subject\":\"agent:{n % subscriptions}\",\"meter\":\"tokens\",\"amount\":\"{(n % 50) + 1}\",\"idempotency_key\":\"{tenant}-c{n}\"}}"),
        _ => Post("/v1/events", EventJson()),
    };
}

static HttpRequestMessage Post(string path, string json) => new(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

int total = (int)(rate * seconds);
if (wholeBatch)
{
    presignedBatches = [.. Enumerable.Range(0, total).Select(i => WholeSignedBatch((long)i * perRequest, perRequest))];
}
else if (signed)
{
    presigned = [.. Enumerable.Range(1, (total * (scenario == "batch" ? batchSize : 1)) + total + 1).Select(n => SignedEvent(n))];
}

var latencies = new double[total];
var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, long>(); // what every request (and each refused event of a batch) was answered
int ok = 0, failed = 0;
long eventsOk = 0;
var clock = Stopwatch.StartNew();
var inFlight = new List<Task>(total);
for (int i = 0; i < total; i++)
{
    double intended = i / rate;
    double wait = intended - clock.Elapsed.TotalSeconds;
    if (wait > 0.001)
    {
        await Task.Delay(TimeSpan.FromSeconds(wait));
    }

    int index = i;
    HttpRequestMessage request = NextRequest();
    inFlight.Add(Task.Run(async () =>
    {
        try
        {
            using HttpResponseMessage response = await spread[index % spread.Length].Http.SendAsync(request);
            string text = await response.Content.ReadAsStringAsync();
            latencies[index] = (clock.Elapsed.TotalSeconds - intended) * 1000;
            RecordOutcomes(outcomes, (int)response.StatusCode, text);
            if ((int)response.StatusCode is 200 or 201 or 207 && (scenario != "consume" || text.Contains("\"allowed\":true", StringComparison.Ordinal)))
            {
                Interlocked.Increment(ref ok);
                Interlocked.Add(ref eventsOk, scenario == "batch" ? CountSucceeded(text) : 1);
            }
            else
            {
                Interlocked.Increment(ref failed);
            }
        }
        catch (Exception e)
        {
            outcomes.AddOrUpdate(e.GetType().Name, 1, (_, c) => c + 1);
            latencies[index] = (clock.Elapsed.TotalSeconds - intended) * 1000;
            Interlocked.Increment(ref failed);
        }
    }));
}

await Task.WhenAll(inFlight);
double elapsed = clock.Elapsed.TotalSeconds;
Array.Sort(latencies);
double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))];
Console.WriteLine($"scenario={offeredScenario} rate={rate}/s duration={seconds}s requests={total} ok={ok} failed={failed}");
Console.WriteLine(scenario is "check" or "consume"
    ? $"{scenario} answered={eventsOk} in {elapsed:F1}s => {eventsOk / elapsed:F0} decisions/s"
    : $"events durable={eventsOk} in {elapsed:F1}s => {eventsOk / elapsed:F0} events/s");
Console.WriteLine($"latency ms (from intended send): p50={P(0.50):F2} p90={P(0.90):F2} p99={P(0.99):F2} max={latencies[^1]:F2}");
Console.WriteLine("answers: " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}={o.Value}")));
if (notifications is not null)
{
    Console.WriteLine($"notifications received during the run: {notifications.Distinct} ({notifications.Distinct / elapsed:F0}/s)");
    await notifications.DisposeAsync();
}
return failed == 0 ? 0 : 1;

// Counts the answer's status, and for a batch answered 207 the code of each event it refused ("event:CODE (detail)").
static void RecordOutcomes(System.Collections.Concurrent.ConcurrentDictionary<string, long> outcomes, int status, string text)
{
    outcomes.AddOrUpdate(status.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, c) => c + 1);
    if (status != 207 || text.Contains("\"failed\":0", StringComparison.Ordinal))
    {
        return;
    }

    using var answer = System.Text.Json.JsonDocument.Parse(text);
    foreach (System.Text.Json.JsonElement result in answer.RootElement.GetProperty("results").EnumerateArray())
    {
        if (result.TryGetProperty("code", out System.Text.Json.JsonElement code) && code.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            string detail = result.TryGetProperty("detail", out System.Text.Json.JsonElement d) ? d.GetString() ?? "" : "";
            outcomes.AddOrUpdate($"event:{code.GetString()} ({detail[..Math.Min(detail.Length, 120)]})", 1, (_, c) => c + 1);
        }
    }
}

static long CountSucceeded(string json)
{
    int at = json.IndexOf("\"succeeded\":", StringComparison.Ordinal);
    if (at < 0)
    {
        return 0;
    }

    at += 12;
    int end = at;
    while (end < json.Length && char.IsDigit(json[end]))
    {
        end++;
    }

    return long.Parse(json.AsSpan(at, end - at), System.Globalization.CultureInfo.InvariantCulture);
}
