using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using PayConnect.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddPayConnectFunctions();
builder.Services.AddPayConnectFunctionsTelemetry(builder.Configuration);
builder.Build().Run();
