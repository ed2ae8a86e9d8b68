// QuotaGate: a service that authorizes work against a subscription's credits by calling Metering's grains directly, with no
// HTTP written at the call site. Each call goes to the silo that owns the subscription's partition.
//
//   METERING_GATEWAYS=http://127.0.0.1:8080,http://127.0.0.1:8081 METERING_CLUSTER_SECRET=... \
//   dotnet QuotaGate.dll TENANT SUBSCRIPTION METER REQUESTS [AMOUNT]
//
// Prints one JSON line per step: the check before, each consume decision, the check after, and the usage.
using System.Globalization;
using System.Text.Json;
using Metering.Client;
using Metering.Grains.Quotas;
using Metering.Grains.Subscriptions;
using Metering.Grains.Usage;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: QuotaGate TENANT SUBSCRIPTION METER REQUESTS [AMOUNT]");
    return 2;
}

string tenant = args[0], subscription = args[1], meter = args[2];
int requests = int.Parse(args[3], CultureInfo.InvariantCulture);
decimal amount = args.Length > 4 ? decimal.Parse(args[4], CultureInfo.InvariantCulture) : 1m;
var options = new ClusterClientOptions
{
    Gateways = [.. (Environment.GetEnvironmentVariable("METERING_GATEWAYS") ?? "http://127.0.0.1:8080").Split(',').Select(u => new Uri(u))],
    ClusterSecret = Environment.GetEnvironmentVariable("METERING_CLUSTER_SECRET") ?? "",
};

using ClusterClient cluster = await ClusterClient.ConnectAsync(options);
IQuotaGrain quota = cluster.GetGrain<IQuotaGrain>(QuotaKey.Of(tenant, subscription, meter));
ISubscriptionGrain usage = cluster.GetGrain<ISubscriptionGrain>(SubscriptionKey.Of(tenant, subscription));

Print("silos", new { count = cluster.Silos.Count });
Print("check", await quota.CheckAsync(amount));
string subject = args.Length > 5 ? args[5] : "quota-gate";
for (int i = 0; i < requests; i++)
{
    ConsumeResult decision = await quota.ConsumeAsync(new ConsumeRequest(subject, amount, $"quota-gate-{subscription}-{i}"));
    Print("consume", new { index = i, allowed = decision.Status == ConsumeStatus.Allowed, remaining = decision.Remaining });
}

Print("check", await quota.CheckAsync(amount));
DateTimeOffset now = DateTimeOffset.UtcNow;
DateTimeOffset hour = new(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
UsageCells cells = await usage.GetCellsAsync(new UsageQuery(meter, hour.AddDays(-1), hour.AddHours(1), UsageWindow.None, []));
// The meter sums a value: its usage is the sum of its hourly cells'.
Print("usage", new { held = cells.Held, value = cells.Cells.Sum(c => c.Aggregate.Sum), events = cells.Cells.Sum(c => c.Aggregate.Count) });
return 0;

static void Print(string step, object? value)
    => Console.WriteLine(JsonSerializer.Serialize(new { step, value }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
