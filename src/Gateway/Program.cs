using Metering.Gateway;

// Settings (appsettings.json) are read from beside the binary, wherever the process is started from.
WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddMeteringGateway();
WebApplication app = builder.Build();
app.MapMeteringApi();
app.Run();

/// <summary>Entry point type, visible to tests that host the gateway.</summary>
public partial class Program;
