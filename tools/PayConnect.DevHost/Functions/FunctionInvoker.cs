using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using FromBodyAttribute = Microsoft.Azure.Functions.Worker.Http.FromBodyAttribute;

namespace PayConnect.DevHost.Functions;

/// <summary>What one invocation has to offer a function's parameters.</summary>
internal sealed class Invocation(HostedFunction function, IServiceProvider services, CancellationToken cancellationToken, HttpContext? http, TimerInfo? timer)
{
    private FunctionContext? _functionContext;

    public string Id { get; } = Guid.NewGuid().ToString();

    public IServiceProvider Services => services;

    public CancellationToken CancellationToken => cancellationToken;

    public HttpContext? Http => http;

    public TimerInfo? Timer => timer;

    public FunctionContext FunctionContext => _functionContext ??= new DevHostFunctionContext(function, Id, services, http, cancellationToken);
}

/// <summary>
/// A function method found from its entry point, with every parameter bound to something the dev host
/// supplies, and its result turned into an HTTP response the way the ASP.NET Core integration does.
/// Creating one fails at startup, not at the first request, when a function needs what the dev host lacks.
/// </summary>
public sealed class FunctionInvoker
{
    private static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web);
    private static readonly Type[] ValueTypes =
    [
        typeof(string), typeof(int), typeof(long), typeof(Guid), typeof(bool), typeof(double), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset),
    ];

    private readonly Func<Invocation, ValueTask<object?>>[] _arguments;
    private readonly Func<object?, ValueTask<object?>> _awaitResult;

    private FunctionInvoker(HostedFunction function, MethodInfo method, Func<Invocation, ValueTask<object?>>[] arguments, Func<object?, ValueTask<object?>> awaitResult)
    {
        Function = function;
        Method = method;
        _arguments = arguments;
        _awaitResult = awaitResult;
    }

    public HostedFunction Function { get; }

    public MethodInfo Method { get; }

    /// <exception cref="FunctionHostingException">The entry point cannot be found or a parameter or the return type cannot be supplied.</exception>
    public static FunctionInvoker Create(HostedFunction function)
    {
        var method = ResolveEntryPoint(function);
        var problems = new List<string>();
        var arguments = method.GetParameters().Select(p => BindParameter(function, p, problems)).ToArray();
        var awaitResult = BindResult(function, method, problems);
        return problems.Count > 0
            ? throw new FunctionHostingException($"Function '{function.Name}' ({function.EntryPoint}): " + string.Join(" ", problems))
            : new FunctionInvoker(function, method, arguments!, awaitResult!);
    }

    /// <summary>Finds the method of an entry point "Namespace.Class.Method" in the function's script file assembly.</summary>
    public static MethodInfo ResolveEntryPoint(HostedFunction function)
    {
        var split = function.EntryPoint.LastIndexOf('.');
        if (split <= 0)
        {
            throw new FunctionHostingException($"Function '{function.Name}' has entry point '{function.EntryPoint}', not 'Namespace.Class.Method'.");
        }

        var typeName = function.EntryPoint[..split];
        var methodName = function.EntryPoint[(split + 1)..];
        var assemblyName = Path.GetFileNameWithoutExtension(function.ScriptFile);
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new FunctionHostingException(
                $"Function '{function.Name}' lives in {function.ScriptFile}, which the dev host cannot load; it must reference that project.", ex);
        }

        var type = assembly.GetType(typeName, throwOnError: false)
            ?? throw new FunctionHostingException($"Function '{function.Name}': {assemblyName} has no type {typeName}.");
        var candidates = type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .Where(m => m.Name == methodName)
            .ToList();
        if (candidates.Count > 1)
        {
            candidates = candidates.Where(m => m.GetCustomAttribute<FunctionAttribute>()?.Name == function.Name).ToList();
        }

        return candidates.Count == 1
            ? candidates[0]
            : throw new FunctionHostingException($"Function '{function.Name}': {typeName} has no single public method {methodName}.");
    }

    /// <summary>
    /// Checks that the function's class can be created from <paramref name="services"/>: a public constructor
    /// whose parameters are all registered services (or have defaults). Returns the problem, or null.
    /// </summary>
    public string? FindMissingServices(IServiceProvider services)
    {
        if (Method.IsStatic)
        {
            return null;
        }

        var type = Method.DeclaringType!;
        var isService = services.GetRequiredService<IServiceProviderIsService>();
        var missing = type.GetConstructors()
            .Select(c => c.GetParameters().Where(p => !p.HasDefaultValue && !isService.IsService(p.ParameterType)).Select(p => p.ParameterType.Name).ToList())
            .OrderBy(m => m.Count)
            .FirstOrDefault();
        return missing switch
        {
            null => $"Function '{Function.Name}': {type.Name} has no public constructor.",
            { Count: 0 } => null,
            _ => $"Function '{Function.Name}': {type.Name} needs {string.Join(", ", missing)}, which the service registration does not provide.",
        };
    }

    internal async Task<object?> InvokeAsync(Invocation invocation)
    {
        var arguments = new object?[_arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = await _arguments[i](invocation);
        }

        // The worker creates the function class per invocation from the invocation's services; so do we.
        var instance = Method.IsStatic ? null : ActivatorUtilities.CreateInstance(invocation.Services, Method.DeclaringType!);
        var returned = Method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        return await _awaitResult(returned);
    }

    /// <summary>Writes a function's result: IResult and IActionResult execute themselves, anything else is JSON.</summary>
    internal static async Task WriteResultAsync(HttpContext context, object? result)
    {
        switch (result)
        {
            case null:
                return;
            case IResult typed:
                await typed.ExecuteAsync(context);
                return;
            case IActionResult action:
                await action.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
                return;
            default:
                await Results.Json(result).ExecuteAsync(context);
                return;
        }
    }

    private static Func<Invocation, ValueTask<object?>>? BindParameter(HostedFunction function, ParameterInfo parameter, List<string> problems)
    {
        var type = parameter.ParameterType;
        var name = parameter.Name ?? "";
        if (type == typeof(CancellationToken))
        {
            return i => new(i.CancellationToken);
        }

        if (type == typeof(FunctionContext))
        {
            return i => new(i.FunctionContext);
        }

        if (function is TimerFunctionSchedule)
        {
            if (type == typeof(TimerInfo))
            {
                return i => new(i.Timer);
            }

            problems.Add($"Parameter '{name}' is {type.Name}; a timer function can take TimerInfo, CancellationToken and FunctionContext.");
            return null;
        }

        if (type == typeof(HttpRequest))
        {
            return i => new(i.Http!.Request);
        }

        if (typeof(HttpRequestData).IsAssignableFrom(type))
        {
            problems.Add($"Parameter '{name}' is HttpRequestData; with the ASP.NET Core integration take HttpRequest.");
            return null;
        }

        if (parameter.GetCustomAttribute<FromBodyAttribute>() is not null)
        {
            return async i =>
            {
                var request = i.Http!.Request;
                return request.ContentLength == 0 ? null : await request.ReadFromJsonAsync(type, BodyJson, i.CancellationToken);
            };
        }

        var valueType = Nullable.GetUnderlyingType(type) ?? type;
        if (ValueTypes.Contains(valueType) || valueType.IsEnum)
        {
            return i => new(BindingDataValue(i.Http!, parameter, valueType));
        }

        var attribute = parameter.GetCustomAttributes().FirstOrDefault(a => a.GetType().Namespace?.StartsWith("Microsoft.Azure.Functions", StringComparison.Ordinal) == true);
        problems.Add(attribute is null
            ? $"Parameter '{name}' is {type.Name}; an HTTP function can take HttpRequest, CancellationToken, FunctionContext, [FromBody] values and route or query values (string, int, Guid, ...)."
            : $"Parameter '{name}' uses [{attribute.GetType().Name}], a binding the dev host does not supply.");
        return null;
    }

    // The worker binds a same-named parameter from the trigger's binding data: route values, then the query string.
    private static object? BindingDataValue(HttpContext http, ParameterInfo parameter, Type valueType)
    {
        var name = parameter.Name!;
        var raw = http.Request.RouteValues.TryGetValue(name, out var routeValue) && routeValue is not null
            ? Convert.ToString(routeValue, CultureInfo.InvariantCulture)
            : http.Request.Query.TryGetValue(name, out var query) ? query.ToString() : null;
        if (raw is null)
        {
            if (parameter.HasDefaultValue)
            {
                return parameter.DefaultValue;
            }

            return !parameter.ParameterType.IsValueType || Nullable.GetUnderlyingType(parameter.ParameterType) is not null
                ? null
                : throw new InvalidOperationException($"The request has no value for '{name}' in its route or query string.");
        }

        return TryConvert(raw, valueType, out var value)
            ? value
            : throw new InvalidOperationException($"'{raw}' is not a valid {valueType.Name} for '{name}'.");
    }

    private static bool TryConvert(string raw, Type type, out object? value)
    {
        var culture = CultureInfo.InvariantCulture;
        (var ok, value) = type switch
        {
            _ when type == typeof(string) => (true, raw),
            _ when type == typeof(int) => (int.TryParse(raw, NumberStyles.Integer, culture, out var v), v),
            _ when type == typeof(long) => (long.TryParse(raw, NumberStyles.Integer, culture, out var v), v),
            _ when type == typeof(Guid) => (Guid.TryParse(raw, out var v), v),
            _ when type == typeof(bool) => (bool.TryParse(raw, out var v), v),
            _ when type == typeof(double) => (double.TryParse(raw, NumberStyles.Float, culture, out var v), v),
            _ when type == typeof(decimal) => (decimal.TryParse(raw, NumberStyles.Number, culture, out var v), v),
            _ when type == typeof(DateTime) => (DateTime.TryParse(raw, culture, DateTimeStyles.RoundtripKind, out var v), v),
            _ when type == typeof(DateTimeOffset) => (DateTimeOffset.TryParse(raw, culture, DateTimeStyles.None, out var v), v),
            _ when type.IsEnum => (Enum.TryParse(type, raw, ignoreCase: true, out var v), v),
            _ => (false, (object?)null),
        };
        return ok;
    }

    private static Func<object?, ValueTask<object?>>? BindResult(HostedFunction function, MethodInfo method, List<string> problems)
    {
        var declared = method.ReturnType;
        if (declared == typeof(void))
        {
            return _ => new((object?)null);
        }

        if (declared == typeof(Task) || declared == typeof(ValueTask))
        {
            return async returned =>
            {
                await (returned is ValueTask valueTask ? valueTask.AsTask() : (Task)returned!);
                return null;
            };
        }

        Type resultType = declared;
        Func<object?, ValueTask<object?>> awaitResult = returned => new(returned);
        if (declared.IsGenericType && declared.GetGenericTypeDefinition() == typeof(Task<>))
        {
            resultType = declared.GetGenericArguments()[0];
            var result = declared.GetProperty(nameof(Task<object>.Result))!;
            awaitResult = async returned =>
            {
                await (Task)returned!;
                return result.GetValue(returned);
            };
        }
        else if (declared.IsGenericType && declared.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            resultType = declared.GetGenericArguments()[0];
            var asTask = declared.GetMethod(nameof(ValueTask<object>.AsTask))!;
            var result = typeof(Task<>).MakeGenericType(resultType).GetProperty(nameof(Task<object>.Result))!;
            awaitResult = async returned =>
            {
                var task = (Task)asTask.Invoke(returned, null)!;
                await task;
                return result.GetValue(task);
            };
        }

        if (function is HttpFunctionRoute)
        {
            if (typeof(HttpResponseData).IsAssignableFrom(resultType))
            {
                problems.Add("It returns HttpResponseData; with the ASP.NET Core integration return IResult or IActionResult.");
            }
            else if (resultType.GetProperties().Any(p => p.GetCustomAttributes().Any(a => a.GetType().Namespace?.StartsWith("Microsoft.Azure.Functions", StringComparison.Ordinal) == true)))
            {
                problems.Add($"It returns {resultType.Name}, which carries output bindings the dev host does not deliver.");
            }
        }

        return awaitResult;
    }
}
