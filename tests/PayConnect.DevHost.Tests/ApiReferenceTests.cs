using System.Net;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Functions.Health;

namespace PayConnect.DevHost.Tests;

/// <summary>The interactive API reference is the dev host's alone: served locally over the functions' own document, never by the function app.</summary>
public sealed class ApiReferenceTests
{
    [Fact]
    public async Task ApiReference_OnTheDevHost_IsServedOverTheFunctionsOpenApiDocument()
    {
        var app = await DevHostApp.BuildAsync(["--port", "0", "--in-memory", "--no-emulators"], new StringWriter());
        try
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

            using var page = await client.GetAsync("scalar/");
            var html = await page.Content.ReadAsStringAsync();
            using var document = await client.GetAsync("api/openapi.json");

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            // The page loads the document from the origin's /api/openapi.json, the route of the GetOpenApi function.
            Assert.Contains("\"url\":\"api/openapi.json\"", html, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, document.StatusCode);
            Assert.Contains("\"openapi\": \"3.1", await document.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // Its script comes from the package, not a CDN: the reference works offline.
            var script = System.Text.RegularExpressions.Regex.Match(html, "<script[^>]+src=\"([^\"]+)\"").Groups[1].Value;
            Assert.False(script.StartsWith("http", StringComparison.Ordinal), $"the reference loads {script}");
            using var scriptResponse = await client.GetAsync(new Uri(new Uri(app.Urls.Single() + "/scalar/"), script));
            Assert.Equal(HttpStatusCode.OK, scriptResponse.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public void FunctionApp_NeitherReferencesScalarNorHasARouteForTheReference()
    {
        var functions = typeof(HealthFunction).Assembly;
        var routes = functions.GetTypes().SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).OfType<HttpTriggerAttribute>())
            .Select(t => t.Route ?? string.Empty).ToList();

        Assert.DoesNotContain(functions.GetReferencedAssemblies(), a => a.Name!.StartsWith("Scalar", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(routes, r => r.Contains("scalar", StringComparison.OrdinalIgnoreCase) || r.Contains("docs", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("openapi.json", routes);
        var project = File.ReadAllText(Path.Combine(RepositoryRoot.Locate(null), "functions", "PayConnect.Functions.csproj"));
        Assert.DoesNotContain("Scalar", project, StringComparison.OrdinalIgnoreCase);
    }
}
