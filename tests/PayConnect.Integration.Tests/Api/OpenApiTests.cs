using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using PayConnect.Functions.Http;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.OpenApi;

namespace PayConnect.Integration.Tests.Api;

/// <summary>
/// The OpenAPI document is generated, checked in and served; it describes every function, and for the operations
/// converted to request and response records it is held to what the functions do.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class OpenApiTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    private static readonly string CheckedIn = Path.Combine(RepoPaths.Root, "functions", "openapi.json");

    public static TheoryData<string> ConvertedOperations() => [.. Converted().Select(o => o.Name)];

    public static TheoryData<string> OperationsWithARequest() => [.. Converted().Where(o => o.Contract!.Request is not null).Select(o => o.Name)];

    [Fact]
    public void CheckedInDocument_IsWhatTheGeneratorWritesNow()
    {
        var fresh = OpenApiGenerator.Generate();

        Assert.True(fresh == File.ReadAllText(CheckedIn),
            "functions/openapi.json is stale: run  dotnet run --project tools/PayConnect.OpenApi -- functions/openapi.json  and commit the result.");
    }

    [Fact]
    public async Task ServedDocument_IsTheCheckedInFile()
    {
        var served = Ok(await Client.Get("/api/openapi.json"), 200);

        Assert.Equal(File.ReadAllText(CheckedIn), served.Body);
    }

    [Fact]
    public void Document_IsOpenApi31_AndDescribesExactlyTheFunctionRoutesAndMethods()
    {
        var doc = ContractDocument.Root;
        var documented = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key} {m.Value!["operationId"]}"))
            .Order(StringComparer.Ordinal).ToList();
        var routed = HttpFunction.All
            .SelectMany(f => f.Methods.Select(m => $"{m} /{f.Route} {f.Name}"))
            .Order(StringComparer.Ordinal).ToList();

        Assert.StartsWith("3.1.", doc["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(routed, documented);
    }

    [Fact]
    public void EveryHttpFunction_DeclaresItsContract_SoNoOperationIsLeftWithoutSchemas()
    {
        var undeclared = OpenApiGenerator.Operations().Where(o => o.Contract is null).Select(o => $"{o.Name} ({o.Function.DeclaringType!.Name})").ToList();
        var withoutSchemas = ContractDocument.Root["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Where(m => m.Value!["responses"]!["2XX"] is not null).Select(m => m.Value!["operationId"]!.GetValue<string>()))
            .ToList();

        Assert.True(undeclared.Count == 0, "HTTP functions without [ApiOperation]: " + string.Join(", ", undeclared));
        Assert.Empty(withoutSchemas);
    }

    [Theory]
    [MemberData(nameof(ConvertedOperations))]
    public void ConvertedOperation_HasItsRequestSchema_ASchemaForEverySuccessBody_ProblemErrors_AndExamples(string operationId)
    {
        var contract = Converted().Single(o => o.Name == operationId).Contract!;
        var operation = ContractDocument.Operation(operationId)!;
        var responses = operation["responses"]!.AsObject();

        if (contract.Request is not null)
        {
            var body = operation["requestBody"]!["content"]!["application/json"]!;
            Assert.Equal("#/components/schemas/" + contract.Request.Name, body["schema"]!["$ref"]!.GetValue<string>());
            Assert.NotNull(body["example"]);
        }

        var successes = responses.Where(r => r.Key.StartsWith('2')).ToList();
        Assert.NotEmpty(successes);
        foreach (var (status, response) in successes)
        {
            if (status == "204")
            {
                Assert.Null(response!["content"]);
                continue;
            }

            if (response!["content"]!["text/html"] is JsonObject page)
            {
                // A page for a person (the unsubscribe link of an email), not data for the portal.
                Assert.NotNull(page["schema"]);
                continue;
            }

            var media = response["content"]!["application/json"]!;
            Assert.NotNull(media["schema"]!["$ref"]);
            Assert.NotNull(media["example"]);
        }

        var errors = responses.Where(r => r.Key[0] is '4' || (r.Key[0] is '5' && r.Value!["content"]?["application/json"] is null)).ToList();
        if (!contract.Anonymous)
        {
            Assert.Equal(["400", "401", "403", "404"], errors.Select(p => p.Key).Where(k => k is "400" or "401" or "403" or "404"));
        }

        // A page for a person answers its errors as a page too; every other error is a problem.
        Assert.All(errors.Where(p => p.Value!["content"]?["text/html"] is null), p => Assert.Equal("#/components/schemas/Problem", p.Value!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>()));
    }

    [Fact]
    public void EveryExample_MatchesItsSchema()
    {
        var checkedMedia = 0;
        foreach (var (path, item) in ContractDocument.Root["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var media = new List<JsonNode?> { operation!["requestBody"]?["content"]?["application/json"] };
                media.AddRange(operation["responses"]!.AsObject().Select(r => r.Value!["content"]?["application/json"]));
                foreach (var m in media.OfType<JsonObject>().Where(m => m["example"] is not null && m["schema"] is JsonObject))
                {
                    var errors = ContractDocument.Validate(m["schema"]!.AsObject(), JsonSerializer.SerializeToElement(m["example"]));
                    Assert.True(errors.Count == 0, $"{method} {path}: the example does not match its schema: {string.Join("; ", errors)}");
                    checkedMedia++;
                }
            }
        }

        Assert.True(checkedMedia >= 20, $"only {checkedMedia} examples were checked");
    }

    [Theory]
    [MemberData(nameof(OperationsWithARequest))]
    public async Task ExampleRequest_IsAcceptedByItsFunction_WithTheDocumentedStatus(string operationId)
    {
        var (function, url) = await Target(operationId);
        var operation = ContractDocument.Operation(operationId)!;
        var example = WithPartyIds(operation["requestBody"]!["content"]!["application/json"]!["example"]!.ToJsonString());

        // The client checks the response against the document too. Creating POSTs may take (RefundRun requires) a key.
        var response = await Client.Send(function.Methods[0], url, example, new Dictionary<string, string> { ["Idempotency-Key"] = "example-" + operationId });

        // The first success listed is the operation's own (a skip also answers 200 when the date was already skipped).
        var success = operation["responses"]!.AsObject().First(r => r.Key.StartsWith('2')).Key;
        Assert.True(response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) == success, $"{operationId}: {response}");
    }

    [Theory]
    [MemberData(nameof(OperationsWithARequest))]
    public async Task DocumentedMaxLength_IsEnforced_ForEveryStringOfTheRequest(string operationId)
    {
        var (function, url) = await Target(operationId);
        var operation = ContractDocument.Operation(operationId)!;
        var example = operation["requestBody"]!["content"]!["application/json"]!["example"]!.AsObject();
        var schema = Component(operation["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        var limited = schema["properties"]!.AsObject().Where(p => p.Value!["maxLength"] is not null).ToList();

        foreach (var (name, property) in limited)
        {
            var max = property!["maxLength"]!.GetValue<int>();
            var body = example.DeepClone().AsObject();
            body[name] = new string('a', max + 1);
            var before = await Host.SnapshotAsync();

            var response = await Client.Send(function.Methods[0], url, body.ToJsonString());

            Assert.True(response.Status == 400, $"{operationId}.{name} of {max + 1} characters: {response}");
            Assert.NotNull(response.Json!["errors"]![name]);
            Assert.Equal(before, await Host.SnapshotAsync());
        }
    }

    [Theory]
    [MemberData(nameof(ConvertedOperations))]
    public async Task DocumentedRoles_AreTheRolesThePipelineEnforces(string operationId)
    {
        var contract = Converted().Single(o => o.Name == operationId).Contract!;
        var (function, url) = await Target(operationId);

        foreach (var role in new[] { Roles.FirmAdmin, Roles.FirmStaff, Roles.MmsSync })
        {
            Client.Roles = [role];
            var response = await Client.Send(function.Methods[0], url, "{}");

            Assert.True((response.Status == 403) != (contract.Anonymous || contract.Roles.Contains(role)),
                $"{operationId} as {role}: {response.Status}; documented roles: {string.Join(", ", contract.Roles)}");
        }
    }

    private AutoPayParty? _party;

    /// <summary>An example body with the examples' payment method and bank account ids replaced by those of the party Target created.</summary>
    private string WithPartyIds(string example) => _party is null
        ? example
        : example.Replace(PayConnect.Connect.CreateScheduleRequest.Example.PaymentMethodId, _party.PaymentMethodId, StringComparison.Ordinal)
            .Replace(PayConnect.Connect.CreateScheduleRequest.Example.BankAccountId, _party.BankAccountId, StringComparison.Ordinal);

    private static IEnumerable<HttpOperation> Converted() => OpenApiGenerator.Operations().Where(o => o.Contract is not null);

    private static JsonObject Component(string reference) =>
        ContractDocument.Root["components"]!["schemas"]![reference.Split('/').Last()]!.AsObject();

    /// <summary>The operation's function and a URL for it in firm A, with records for its route values.</summary>
    private async Task<(HttpFunction Function, string Url)> Target(string operationId)
    {
        var function = HttpFunction.Named(operationId);
        var url = "/api/" + function.Route.Replace("{firmId}", FirmA, StringComparison.Ordinal);
        if (operationId == "DeclineRun")
        {
            url = url.Replace("{scheduleId}/{date}", await RunAwaitingApprovalAsync(), StringComparison.Ordinal);
        }

        if (operationId == "RefundRun")
        {
            url = url.Replace("{scheduleId}/{date}", await PostedRunAsync(), StringComparison.Ordinal);
        }

        if (url.Contains("{postingId}", StringComparison.Ordinal))
        {
            url = url.Replace("{postingId}", await PendingPostingAsync(), StringComparison.Ordinal);
        }

        if (url.Contains("{scheduleId}", StringComparison.Ordinal) || operationId == "CreateSchedule")
        {
            // Schedules need a payer with a saved method, a bank account and an association (the examples' ids are replaced by its ids).
            _party ??= await CreatePartyAsync();
            url = url.Replace("{payerId}", _party.PayerId, StringComparison.Ordinal)
                .Replace("{scheduleId}", await CreateAutoPayAsync(_party, new { kind = "Monthly" }, "2026-03-02"), StringComparison.Ordinal);
        }

        if (url.Contains("{payerId}", StringComparison.Ordinal))
        {
            url = url.Replace("{payerId}", await CreatePayerAsync(), StringComparison.Ordinal);
        }

        foreach (var parameter in function.Method.GetParameters().Where(p => p.ParameterType == typeof(string) && url.Contains("{" + p.Name + "}", StringComparison.Ordinal)))
        {
            url = url.Replace("{" + parameter.Name + "}", "x1", StringComparison.Ordinal);
        }

        return (function, url);
    }

    /// <summary>The id of a pending posting, written by the first run of a new Auto-Pay.</summary>
    private async Task<string> PendingPostingAsync()
    {
        Host.Clock.Reset(NodaTime.Instant.FromUtc(2026, 3, 1, 15, 0));
        await CreateAutoPayAsync(await CreatePartyAsync(), new { kind = "Monthly" }, "2026-03-02");
        Host.Clock.Reset(NodaTime.Instant.FromUtc(2026, 3, 2, 15, 0));
        await Host.Function<PayConnect.Functions.Runs.FanOutFunction>().Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);
        await Host.Function<PayConnect.Functions.Runs.RunDrainFunction>().Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);
        var postings = Ok(await Client.Get($"/api/firms/{FirmA}/postings?state=Pending"), 200).Json!["items"]!.AsArray();
        Assert.NotEmpty(postings);
        return postings[0]!["id"]!.GetValue<string>();
    }

    /// <summary>A posted run of a new Auto-Pay that paid INV-1001 and INV-1002: "{scheduleId}/{date}".</summary>
    private async Task<string> PostedRunAsync()
    {
        Ok(await Client.Put($"/api/firms/{FirmA}/settings", new { name = "Smith & Jones LLP", timeZone = "America/Chicago", currency = "USD" }), 200);
        Host.Clock.Reset(NodaTime.Instant.FromUtc(2026, 3, 1, 15, 0));
        var schedule = await CreateAutoPayAsync(await CreatePartyAsync(), new { kind = "Monthly" }, "2026-03-02");
        Host.Clock.Reset(NodaTime.Instant.FromUtc(2026, 3, 2, 15, 0));
        await Host.Function<PayConnect.Functions.Runs.FanOutFunction>().Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);
        await Host.Function<PayConnect.Functions.Runs.RunDrainFunction>().Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);
        Assert.Equal("Posted", Ok(await Client.Get($"/api/firms/{FirmA}/runs/{schedule}/2026-03-02"), 200).Json!["state"]!.GetValue<string>());
        return $"{schedule}/2026-03-02";
    }

    /// <summary>A run of a new Auto-Pay above a one-dollar approval threshold, waiting for approval: "{scheduleId}/{date}".</summary>
    private async Task<string> RunAwaitingApprovalAsync()
    {
        Ok(await Client.Put($"/api/firms/{FirmA}/settings", new { name = "Smith & Jones LLP", timeZone = "America/Chicago", currency = "USD", approvalThreshold = 1.00m }), 200);
        Host.Clock.Reset(NodaTime.Instant.FromUtc(2026, 3, 1, 15, 0));
        var schedule = await CreateAutoPayAsync(await CreatePartyAsync(), new { kind = "Monthly" }, "2026-03-02");
        Host.Clock.Reset(NodaTime.Instant.FromUtc(2026, 3, 2, 15, 0));
        await Host.Function<PayConnect.Functions.Runs.FanOutFunction>().Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);
        await Host.Function<PayConnect.Functions.Runs.RunDrainFunction>().Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);
        Assert.Equal("AwaitingApproval", Ok(await Client.Get($"/api/firms/{FirmA}/runs/{schedule}/2026-03-02"), 200).Json!["state"]!.GetValue<string>());
        return $"{schedule}/2026-03-02";
    }
}
