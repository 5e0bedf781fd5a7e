using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;

namespace PayConnect.DevHost.Tests;

/// <summary>The dev host serving the fixture HTTP functions (no emulators needed: they use none).</summary>
public sealed class HttpFixtureHost : IAsyncLifetime
{
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = null!;

    public StringWriter Output { get; } = new();

    public async Task InitializeAsync()
    {
        var options = new DevHostOptions { Port = 0, StartEmulators = false, MetadataPath = TestFiles.Fixture("http.functions.metadata") };
        _app = await DevHostApp.BuildAsync(options, Output);
        await _app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(_app.Urls.Single()) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

public sealed class HttpHostingTests(HttpFixtureHost host) : IClassFixture<HttpFixtureHost>
{
    [Fact]
    public void Startup_ListsEveryRouteWithItsMethods()
    {
        var output = host.Output.ToString();

        Assert.Contains("Hosting 8 functions", output, StringComparison.Ordinal);
        Assert.Contains("GET /api/items/{id:int}/{tag?}", output, StringComparison.Ordinal);
        Assert.Contains("POST /api/greetings", output, StringComparison.Ordinal);
        Assert.Contains("ANY /api/any", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/items/42/red", 42, "red")]
    [InlineData("api/items/7", 7, null)]
    public async Task Get_RouteWithIntAndOptionalSegment_BindsSameNamedParameters(string path, int id, string? tag)
    {
        var body = await host.Client.GetFromJsonAsync<JsonObject>(path);

        Assert.Equal(id, (int)body!["id"]!);
        Assert.Equal(tag, (string?)body["tag"]);
    }

    [Fact]
    public async Task Get_RouteWhoseIntConstraintFails_Is404ProblemDetails()
    {
        using var response = await host.Client.GetAsync("api/items/abc");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Get_GuidRouteValue_BindsToGuidParameter()
    {
        var id = Guid.NewGuid();

        var body = await host.Client.GetFromJsonAsync<JsonObject>($"api/orders/{id}");

        Assert.Equal(id, Guid.Parse((string)body!["orderId"]!));
    }

    [Theory]
    [InlineData("api/search?term=fees&page=3", "fees", 3)]
    [InlineData("api/search", null, 1)]
    public async Task Get_ParametersNotInTheRoute_BindFromTheQueryStringOrTheirDefault(string path, string? term, int page)
    {
        var body = await host.Client.GetFromJsonAsync<JsonObject>(path);

        Assert.Equal(term, (string?)body!["term"]);
        Assert.Equal(page, (int)body["page"]!);
    }

    [Fact]
    public async Task Post_FromBodyReturningActionResult_ExecutesTheObjectResultAsJson()
    {
        using var response = await host.Client.PostAsJsonAsync("api/greetings", new { name = "Ada" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/greetings/Ada", response.Headers.Location?.OriginalString);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Ada", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["name"]);
    }

    [Fact]
    public async Task Get_FunctionReturningAPlainObject_RespondsWithItAsJson()
    {
        using var response = await host.Client.GetAsync("api/plain");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("plain", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["name"]);
    }

    [Fact]
    public async Task Get_FunctionTakingFunctionContext_GetsItsDefinitionAndTheHttpContext()
    {
        var body = await host.Client.GetFromJsonAsync<JsonObject>("api/context");

        Assert.True((bool)body!["sameHttpContext"]!);
        Assert.Equal("Context", (string?)body["name"]);
        Assert.Equal("httpTrigger", (string?)body["trigger"]);
        Assert.True((bool)body["clock"]!);
    }

    [Fact]
    public async Task Get_FunctionThatThrows_Is500ProblemDetailsNamingTheFunction()
    {
        using var response = await host.Client.GetAsync("api/fail");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("'Fail'", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["title"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task AnyMethod_FunctionWithoutMethods_AnswersEveryMethod(string method)
    {
        using var response = await host.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "api/any"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(method, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("GET", "api/nothing-here")]
    [InlineData("GET", "health")]
    [InlineData("DELETE", "api/plain")]
    public async Task Request_NoFunctionAnswers_Is404ProblemDetails(string method, string path)
    {
        using var response = await host.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(path, (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"], StringComparison.Ordinal);
    }
}
