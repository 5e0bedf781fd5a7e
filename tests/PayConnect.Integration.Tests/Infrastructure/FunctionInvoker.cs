using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Functions.Health;

namespace PayConnect.Integration.Tests.Infrastructure;

/// <summary>An HTTP function as declared by its attributes: name, methods, route, and the method to call.</summary>
public sealed record HttpFunction(string Name, string[] Methods, string Route, MethodInfo Method)
{
    public static IReadOnlyList<HttpFunction> All { get; } = typeof(HealthFunction).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods())
        .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>()))
        .Where(x => x.Function is not null)
        .Select(x => (x.Method, x.Function, Trigger: x.Method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
        .Where(x => x.Trigger is not null)
        .Select(x => new HttpFunction(x.Function!.Name, x.Trigger!.Methods!.Select(m => m.ToUpperInvariant()).ToArray(), x.Trigger.Route!, x.Method))
        .OrderBy(f => f.Name, StringComparer.Ordinal)
        .ToList();

    public static HttpFunction Named(string name) => All.Single(f => f.Name == name);
}

/// <summary>Calls HTTP function classes the way the worker does: route values bound by name, result executed.</summary>
public sealed class Client(TestHost host)
{
    /// <summary>The identity sent in X-MS-CLIENT-PRINCIPAL; null sends none.</summary>
    public string? FirmId { get; set; }

    public string[] Roles { get; set; } = ["FirmAdmin"];

    public static string Principal(string firmId, params string[] roles)
    {
        var claims = new List<object> { new { typ = "firm_id", val = firmId }, new { typ = "name", val = $"staff@{firmId}.test" } };
        claims.AddRange(roles.Select(r => new { typ = "roles", val = r }));
        var json = JsonSerializer.Serialize(new { auth_typ = "aad", claims, name_typ = "name", role_typ = "roles" });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
    }

    public Task<HttpResponseData> Get(string path, IDictionary<string, string>? headers = null) => Send("GET", path, null, headers);

    public Task<HttpResponseData> Post(string path, object? body, IDictionary<string, string>? headers = null) => Send("POST", path, body, headers);

    public Task<HttpResponseData> Put(string path, object? body, IDictionary<string, string>? headers = null) => Send("PUT", path, body, headers);

    public Task<HttpResponseData> Delete(string path, IDictionary<string, string>? headers = null) => Send("DELETE", path, null, headers);

    /// <summary>Routes the path to the function whose route template matches, like the Functions host does.</summary>
    public async Task<HttpResponseData> Send(string method, string path, object? body, IDictionary<string, string>? headers = null)
    {
        var pathOnly = path.Split('?')[0];
        var relative = pathOnly.StartsWith("/api/", StringComparison.Ordinal) ? pathOnly[5..] : pathOnly.TrimStart('/');
        foreach (var function in HttpFunction.All.Where(f => f.Methods.Contains(method)))
        {
            if (Match(function.Route, relative) is { } values)
            {
                return await Invoke(function, method, path, body, values, headers);
            }
        }

        throw new InvalidOperationException($"No function serves {method} {path}.");
    }

    public async Task<HttpResponseData> Invoke(HttpFunction function, string method, string path, object? body, IReadOnlyDictionary<string, string> routeValues, IDictionary<string, string>? headers = null)
    {
        var allHeaders = new Dictionary<string, string>(headers ?? new Dictionary<string, string>());
        if (FirmId is not null && !allHeaders.ContainsKey("X-MS-CLIENT-PRINCIPAL"))
        {
            allHeaders["X-MS-CLIENT-PRINCIPAL"] = Principal(FirmId, Roles);
        }

        var request = Requests.Create(method, path, body, allHeaders, host.Services);
        var instance = host.Function(function.Method.DeclaringType!);
        var args = function.Method.GetParameters().Select(p =>
            p.ParameterType == typeof(HttpRequest) ? request :
            p.ParameterType == typeof(CancellationToken) ? CancellationToken.None :
            (object?)routeValues[p.Name!]).ToArray();
        var returned = function.Method.Invoke(instance, args)!;
        var result = returned;
        if (returned is Task task)
        {
            await task;
            result = task.GetType().GetProperty("Result")!.GetValue(task)!;
        }

        var response = await Responses.ReadAsync(result, request);
        ContractDocument.Check(function.Name, response);
        return response;
    }

    public static Dictionary<string, string>? Match(string template, string path)
    {
        var t = template.Split('/');
        var p = path.Split('/');
        if (t.Length != p.Length)
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < t.Length; i++)
        {
            if (t[i].StartsWith('{'))
            {
                values[t[i].Trim('{', '}').Split(':')[0]] = Uri.UnescapeDataString(p[i]);
            }
            else if (!string.Equals(t[i], p[i], StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        return values;
    }
}
