using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using PayConnect.DevHost.Functions;
using PayConnect.DevHost.Tests.Fixtures;

namespace PayConnect.DevHost.Tests;

public sealed class BindingTests
{
    [Theory]
    [InlineData(nameof(UnsupportedFixtureFunctions.WithLogger), "'logger'", "ILogger")]
    [InlineData(nameof(UnsupportedFixtureFunctions.WithUnmarkedComplexType), "'greeting'", "Greeting")]
    [InlineData(nameof(UnsupportedFixtureFunctions.WithHttpRequestData), "'request'", "HttpRequestData")]
    [InlineData(nameof(UnsupportedFixtureFunctions.ReturnsHttpResponseData), "returns HttpResponseData", "IResult")]
    public void Create_HttpFunctionNeedingWhatTheDevHostCannotSupply_FailsNamingFunctionAndParameter(string method, string part, string type)
    {
        var error = Assert.Throws<FunctionHostingException>(() => FunctionInvoker.Create(Http(method)));

        Assert.Contains($"'{method}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(part, error.Message, StringComparison.Ordinal);
        Assert.Contains(type, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_TimerFunctionTakingHttpRequest_FailsSayingWhatATimerCanTake()
    {
        var error = Assert.Throws<FunctionHostingException>(() => FunctionInvoker.Create(Timer(nameof(UnsupportedFixtureFunctions.TimerWithHttpRequest))));

        Assert.Contains("'request'", error.Message, StringComparison.Ordinal);
        Assert.Contains("TimerInfo", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_SupportedSignatures_Bind()
    {
        var http = FunctionInvoker.Create(Http(nameof(UnsupportedFixtureFunctions.Supported)));
        var timer = FunctionInvoker.Create(Timer(nameof(UnsupportedFixtureFunctions.TimerSupported)));

        Assert.Equal(nameof(UnsupportedFixtureFunctions.Supported), http.Method.Name);
        Assert.Equal(nameof(UnsupportedFixtureFunctions.TimerSupported), timer.Method.Name);
    }

    [Theory]
    [InlineData("PayConnect.DevHost.Tests.Fixtures.NoSuchClass.Run", "PayConnect.DevHost.Tests.dll", "no type")]
    [InlineData("PayConnect.DevHost.Tests.Fixtures.UnsupportedFixtureFunctions.NoSuchMethod", "PayConnect.DevHost.Tests.dll", "no single public method")]
    [InlineData("PayConnect.Functions.Health.HealthFunction.Run", "PayConnect.Missing.dll", "cannot load")]
    public void Create_EntryPointThatDoesNotResolve_FailsSayingWhatIsMissing(string entryPoint, string scriptFile, string expected)
    {
        var function = new HttpFunctionRoute("Broken", entryPoint, scriptFile, false, [], ["GET"], "api/broken", "Anonymous");

        var error = Assert.Throws<FunctionHostingException>(() => FunctionInvoker.Create(function));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindMissingServices_ConstructorNeedingAnUnregisteredService_NamesFunctionAndService()
    {
        using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var function = new HttpFunctionRoute("NeedsIt", $"{typeof(NeedsUnregisteredService).FullName}.Run", "PayConnect.DevHost.Tests.dll", false, [], ["GET"], "api/x", "Anonymous");

        var problem = FunctionInvoker.Create(function).FindMissingServices(services);

        Assert.NotNull(problem);
        Assert.Contains("'NeedsIt'", problem, StringComparison.Ordinal);
        Assert.Contains(nameof(UnregisteredDependency), problem, StringComparison.Ordinal);
    }

    [Fact]
    public void FindMissingServices_ConstructorNeedingRegisteredServices_FindsNothing()
    {
        using var services = new ServiceCollection().AddSingleton<IClock>(SystemClock.Instance).BuildServiceProvider();
        var function = new HttpFunctionRoute("GetItem", $"{typeof(HttpFixtureFunctions).FullName}.GetItem", "PayConnect.DevHost.Tests.dll", false, [], ["GET"], "api/x", "Anonymous");

        Assert.Null(FunctionInvoker.Create(function).FindMissingServices(services));
    }

    private static HttpFunctionRoute Http(string method) =>
        new(method, $"{typeof(UnsupportedFixtureFunctions).FullName}.{method}", "PayConnect.DevHost.Tests.dll", false, [], ["GET"], "api/x", "Anonymous");

    private static TimerFunctionSchedule Timer(string method) =>
        new(method, $"{typeof(UnsupportedFixtureFunctions).FullName}.{method}", "PayConnect.DevHost.Tests.dll", false, [], "* * * * * *", "* * * * * *", false,
            Timers.NcrontabSchedule.Parse("* * * * * *"));
}
