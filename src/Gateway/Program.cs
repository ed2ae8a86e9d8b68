using Metering.Gateway;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.AddMeteringGateway();
WebApplication app = builder.Build();
app.MapMeteringApi();
app.Run();

/// <summary>Entry point type, visible to tests that host the gateway.</summary>
public partial class Program;
