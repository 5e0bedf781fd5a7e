using System.Diagnostics;

namespace PayConnect.DevHost.Functions;

/// <summary>Maps each HTTP function on its route and methods, and answers every other request with 404.</summary>
public static class HttpFunctionEndpoints
{
    public static void MapFunctions(this IEndpointRouteBuilder endpoints, IEnumerable<FunctionInvoker> invokers)
    {
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("PayConnect.DevHost.Functions");
        foreach (var invoker in invokers)
        {
            if (invoker.Function is not HttpFunctionRoute route)
            {
                continue;
            }

            RequestDelegate handler = context => InvokeAsync(invoker, route, context, logger);
            var endpoint = route.Methods.Count == 0
                ? endpoints.Map(route.Route, handler)
                : endpoints.MapMethods(route.Route, route.Methods, handler);
            endpoint.WithDisplayName($"Functions.{route.Name}").WithMetadata(route);
        }

        endpoints.MapFallback(context => Results.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Not Found",
            detail: $"No function answers {context.Request.Method} {context.Request.Path}.").ExecuteAsync(context));
    }

    private static async Task InvokeAsync(FunctionInvoker invoker, HttpFunctionRoute route, HttpContext context, ILogger logger)
    {
        var stopwatch = Stopwatch.StartNew();
        var invocation = new Invocation(route, context.RequestServices, context.RequestAborted, context, timer: null);
        try
        {
            var result = await invoker.InvokeAsync(invocation);
            await FunctionInvoker.WriteResultAsync(context, result);

            // The demo seed reports its own progress; its dozens of requests would only bury it.
            var level = context.Request.Headers.UserAgent == Development.DemoSeed.UserAgent ? LogLevel.Debug : LogLevel.Information;
            logger.Log(
                level,
                "Executed 'Functions.{Function}' (Succeeded, Id={InvocationId}, Duration={ElapsedMs}ms) {Method} {Path} -> {StatusCode}",
                route.Name, invocation.Id, stopwatch.ElapsedMilliseconds, context.Request.Method, context.Request.Path, context.Response.StatusCode);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            logger.LogInformation("Function {Function} stopped: the client went away", route.Name);
        }
        catch (Exception ex)
        {
            logger.LogError(
                ex, "Executed 'Functions.{Function}' (Failed, Id={InvocationId}, Duration={ElapsedMs}ms)",
                route.Name, invocation.Id, stopwatch.ElapsedMilliseconds);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await Results.Problem(
                    statusCode: StatusCodes.Status500InternalServerError,
                    title: $"Function '{route.Name}' failed",
                    detail: $"{ex.GetType().Name}: {ex.Message}").ExecuteAsync(context);
            }
        }
    }
}
