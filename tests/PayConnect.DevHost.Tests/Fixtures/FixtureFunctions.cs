using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.Logging;
using NodaTime;
using FromBodyAttribute = Microsoft.Azure.Functions.Worker.Http.FromBodyAttribute;

namespace PayConnect.DevHost.Tests.Fixtures;

public sealed record Greeting(string Name);

/// <summary>HTTP functions in the shapes the functions project uses; listed in Fixtures/http.functions.metadata.</summary>
public sealed class HttpFixtureFunctions(IClock clock)
{
    [Function("GetItem")]
    public IResult GetItem(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "items/{id:int}/{tag?}")] HttpRequest request,
        int id,
        string? tag) => Results.Ok(new { id, tag });

    [Function("GetOrder")]
    public IResult GetOrder(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "orders/{orderId:guid}")] HttpRequest request,
        Guid orderId) => Results.Ok(new { orderId });

    [Function("Search")]
    public IResult Search(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "search")] HttpRequest request,
        string? term,
        int page = 1) => Results.Ok(new { term, page });

    [Function("CreateGreeting")]
    public ValueTask<IActionResult> CreateGreeting(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "greetings")] HttpRequest request,
        [FromBody] Greeting greeting) =>
        ValueTask.FromResult<IActionResult>(new CreatedResult($"/api/greetings/{greeting.Name}", greeting));

    [Function("Plain")]
    public async Task<Greeting> Plain(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "plain")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        return new Greeting("plain");
    }

    [Function("Context")]
    public IResult Context(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "context")] HttpRequest request,
        FunctionContext context) =>
        Results.Ok(new
        {
            sameHttpContext = ReferenceEquals(context.GetHttpContext(), request.HttpContext),
            name = context.FunctionDefinition.Name,
            trigger = context.FunctionDefinition.InputBindings.Values.Single().Type,
            clock = clock.GetCurrentInstant() > Instant.MinValue,
        });

    [Function("Fail")]
    public IResult Fail([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fail")] HttpRequest request) =>
        throw new InvalidOperationException("the fixture failed on purpose");

    [Function("AnyMethod")]
    public IResult AnyMethod([HttpTrigger(AuthorizationLevel.Anonymous, Route = "any")] HttpRequest request) =>
        Results.Text(request.Method);
}

/// <summary>Timer functions; listed in Fixtures/timers.functions.metadata, firing every second.</summary>
public sealed class TimerFixtureFunctions
{
    private static int _running;

    public static int SlowInvocations;
    public static int MostAtOnce;
    public static int FailingInvocations;
    public static TimerInfo? LastTimerInfo;

    [Function("SlowTick")]
    public static async Task SlowTick([TimerTrigger("* * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _running);
        InterlockedMax(ref MostAtOnce, now);
        Interlocked.Increment(ref SlowInvocations);
        LastTimerInfo = timer;
        try
        {
            // Longer than the one-second period: the next occurrence must wait for this one.
            await Task.Delay(TimeSpan.FromMilliseconds(1500), cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    [Function("FailingTick")]
    public void FailingTick([TimerTrigger("* * * * * *")] TimerInfo timer)
    {
        Interlocked.Increment(ref FailingInvocations);
        throw new InvalidOperationException("the timer fixture failed on purpose");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

/// <summary>Functions the dev host must refuse at startup; referenced by tests, never by a metadata file.</summary>
public sealed class UnsupportedFixtureFunctions
{
    public IResult WithLogger(HttpRequest request, ILogger logger) => Results.Ok();

    public IResult WithUnmarkedComplexType(HttpRequest request, Greeting greeting) => Results.Ok();

    public IResult WithHttpRequestData(HttpRequestData request) => Results.Ok();

    public HttpResponseData ReturnsHttpResponseData(HttpRequest request) => throw new NotSupportedException();

    public void TimerWithHttpRequest(TimerInfo timer, HttpRequest request)
    {
    }

    public IResult Supported(HttpRequest request, string id, int? page, FunctionContext context, CancellationToken cancellationToken) => Results.Ok();

    public Task TimerSupported(TimerInfo timer, FunctionContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}

public sealed class UnregisteredDependency;

/// <summary>A function class whose constructor needs a service nobody registered.</summary>
public sealed class NeedsUnregisteredService(UnregisteredDependency dependency)
{
    public IResult Run(HttpRequest request) => Results.Ok(dependency.GetType().Name);
}
