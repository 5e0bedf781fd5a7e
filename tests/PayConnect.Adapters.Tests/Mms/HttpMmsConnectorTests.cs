using NodaTime;
using PayConnect.Connect;
using PayConnect.Infrastructure.Mms;
using PayConnect.Mms;

namespace PayConnect.Adapters.Tests.Mms;

public sealed class HttpMmsConnectorTests : IAsyncLifetime
{
    private const string Secret = "firm-a-shared-secret-0123456789abcdef";
    private const string Firm = "firm-a";

    private static readonly HttpClient Http = new();

    private FakeMmsServer server = null!;

    public async Task InitializeAsync()
    {
        server = await FakeMmsServer.StartAsync(Secret);
        server.Clients.AddRange([new("C-100", "Acme Holdings"), new("C-200", "Birch Family Trust"), new("C-110", "Acme Robotics")]);
        server.Matters.AddRange([new("M-100-1", "Acme v. Widget Co", "C-100"), new("M-100-2", "Acme Lease Review", "C-100"), new("M-200-1", "Birch Estate Planning", "C-200")]);
        server.Invoices.AddRange(
        [
            new("INV-1001", "C-100", "M-100-1", "2026-01-05", "2026-02-04", "1200.00", "1200.00"),
            new("INV-1002", "C-100", "M-100-2", "2026-02-05", "2026-03-07", "800.50", "300.25"),
            new("INV-1003", "C-100", "M-100-1", "2026-02-10", "2026-03-12", "99.00", "0.00"),
            new("INV-2001", "C-200", "M-200-1", "2026-01-20", "2026-02-19", "450.00", "450.00"),
        ]);
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Theory]
    [InlineData(MmsSearchBy.ClientName, "acme", "C-100 Acme Holdings|C-110 Acme Robotics")]
    [InlineData(MmsSearchBy.ClientNumber, "c-2", "C-200 Birch Family Trust")]
    [InlineData(MmsSearchBy.MatterName, "ESTATE", "M-200-1 Birch Estate Planning")]
    [InlineData(MmsSearchBy.MatterNumber, "m-100", "M-100-1 Acme v. Widget Co|M-100-2 Acme Lease Review")]
    [InlineData(MmsSearchBy.InvoiceNumber, "inv-100", "Invoice INV-1001|Invoice INV-1002|Invoice INV-1003")]
    public async Task Search_ByEachCriterion_ReturnsTheEndpointsMatches(MmsSearchBy by, string text, string expected)
    {
        var page = await Connector().SearchAsync(Firm, by, text, 50, null, CancellationToken.None);

        Assert.Equal(expected, string.Join("|", page.Items.Select(r => r.DisplayName)));
        Assert.Null(page.Continuation);
        Assert.All(server.Requests, r => Assert.True(r.SignatureValid));
        Assert.All(server.Requests, r => Assert.Equal(("1", Firm), (r.Version, r.Firm)));
    }

    [Fact]
    public async Task Search_Matters_CarryTheirClient()
    {
        var page = await Connector().SearchAsync(Firm, MmsSearchBy.MatterNumber, "M-200-1", 50, null, CancellationToken.None);

        Assert.Equal(new MmsSearchResult(AssociationLevel.Matter, "C-200", "Birch Family Trust", "M-200-1", "Birch Estate Planning", null, null, null, null), Assert.Single(page.Items));
    }

    [Fact]
    public async Task Search_Invoices_ConvertsDecimalStringsToMinorUnits()
    {
        var page = await Connector().SearchAsync(Firm, MmsSearchBy.InvoiceNumber, "INV-1002", 50, null, CancellationToken.None);

        Assert.Equal(
            new MmsSearchResult(AssociationLevel.Invoice, "C-100", "Acme Holdings", "M-100-2", "Acme Lease Review", "INV-1002", new LocalDate(2026, 2, 5), 30_025, "USD"),
            Assert.Single(page.Items));
    }

    [Fact]
    public async Task Search_Paged_PassesTheOpaqueCursorBackUntilEveryResultIsSeen()
    {
        var connector = Connector();
        var numbers = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var page = await connector.SearchAsync(Firm, MmsSearchBy.InvoiceNumber, "INV", 1, continuation, CancellationToken.None);
            numbers.AddRange(page.Items.Select(i => i.InvoiceNumber!));
            continuation = page.Continuation;
            pages++;
        }
        while (continuation is not null && pages < 10);

        Assert.Equal(["INV-1001", "INV-1002", "INV-1003", "INV-2001"], numbers);
        Assert.Contains("&cursor=", server.Requests[1].Target, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_TextNeedingEscapes_IsSentEncodedAndStillSigned()
    {
        server.Clients.Add(new("C-300", "Smith & Jones / Partners"));

        var page = await Connector().SearchAsync(Firm, MmsSearchBy.ClientName, "smith & jones /", 50, null, CancellationToken.None);

        Assert.Equal("C-300", Assert.Single(page.Items).ClientNumber);
        Assert.Contains("search=smith%20%26%20jones%20%2F", Assert.Single(server.Requests).Target, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(AssociationLevel.Client, "c-100", "C-100 Acme Holdings")]
    [InlineData(AssociationLevel.Matter, "M-100-2", "M-100-2 Acme Lease Review")]
    [InlineData(AssociationLevel.Invoice, "inv-2001", "Invoice INV-2001")]
    public async Task Find_KnownNumber_ReturnsIt(AssociationLevel level, string number, string displayName)
    {
        var found = await Connector().FindAsync(Firm, new MmsScope(level, number), CancellationToken.None);

        Assert.Equal(displayName, found?.DisplayName);
    }

    [Fact]
    public async Task Find_UnknownNumber_IsNull()
    {
        Assert.Null(await Connector().FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-999"), CancellationToken.None));
    }

    [Fact]
    public async Task Outstanding_OverlappingScopes_ReturnsEachOpenInvoiceOnceAcrossPages()
    {
        MmsScope[] scopes =
        [
            new(AssociationLevel.Client, "C-100"),
            new(AssociationLevel.Matter, "M-100-1"),
            new(AssociationLevel.Invoice, "INV-1002"),
            new(AssociationLevel.Invoice, "INV-2001"),
        ];

        var invoices = await Connector().OutstandingInvoicesAsync(Firm, scopes, CancellationToken.None);

        Assert.Equal(["INV-1001:120000", "INV-1002:30025", "INV-2001:45000"], invoices.Select(i => $"{i.Number}:{i.OutstandingMinor}").Order(StringComparer.Ordinal));
        Assert.True(server.Requests.Count >= 3, "the fake answers 2 per page, so the cursor had to be followed");
    }

    [Fact]
    public async Task Outstanding_ScopesSplitAcrossRequests_AreStillDeduplicated()
    {
        var connector = Connector(new HttpMmsOptions { MaxScopesPerRequest = 1 });

        var invoices = await connector.OutstandingInvoicesAsync(Firm, [new(AssociationLevel.Client, "C-100"), new(AssociationLevel.Matter, "M-100-2")], CancellationToken.None);

        Assert.Equal(["INV-1001", "INV-1002"], invoices.Select(i => i.Number).Order(StringComparer.Ordinal));
        Assert.Contains(server.Requests, r => r.Target.EndsWith("/invoices/outstanding?matter=M-100-2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Outstanding_InvoiceOutsideTheRequestedScopes_IsRefused()
    {
        server.WriteInvoice = row =>
        {
            row["clientNumber"] = "C-999";
            row["matterNumber"] = "M-999";
            return row;
        };

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() =>
            Connector().OutstandingInvoicesAsync(Firm, [new(AssociationLevel.Client, "C-200")], CancellationToken.None));

        Assert.Contains("INV-2001", error.Message, StringComparison.Ordinal);
        Assert.Contains("none of the requested scopes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerErrorThenSuccess_IsRetriedAndSucceeds()
    {
        server.ThenFail(500);
        server.ThenFail(503);

        var found = await Connector().FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-100"), CancellationToken.None);

        Assert.Equal("Acme Holdings", found?.ClientName);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task PersistentServerError_GivesUpAfterTheBoundedAttempts()
    {
        for (var i = 0; i < 10; i++)
        {
            server.ThenFail(500);
        }

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() =>
            Connector().SearchAsync(Firm, MmsSearchBy.ClientName, "acme", 50, null, CancellationToken.None));

        Assert.Contains("answered 500", error.Message, StringComparison.Ordinal);
        Assert.Contains("(3 attempts)", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task TooManyRequests_IsRetried()
    {
        server.ThenFail(429);

        var found = await Connector().FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-100"), CancellationToken.None);

        Assert.Equal("Acme Holdings", found?.ClientName);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task OneAttemptAllowed_ServerErrorIsNotRetried()
    {
        server.ThenFail(503);

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() =>
            Connector(new HttpMmsOptions { MaxAttempts = 1 }).FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-100"), CancellationToken.None));

        Assert.Contains("answered 503", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task CallersCancellation_EndsTheCallWithoutRetrying()
    {
        server.Delay = TimeSpan.FromSeconds(5);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Connector().FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-100"), cancel.Token));

        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task ClientError_IsNotRetried()
    {
        server.ThenFail(400);

        await Assert.ThrowsAsync<MmsUnavailableException>(() => Connector().FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-100"), CancellationToken.None));

        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Redirect_IsNotRetried()
    {
        server.ThenFail(302);

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() => Connector().FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-100"), CancellationToken.None));

        Assert.Contains("answered 302", error.Message, StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task SlowEndpoint_TimesOutEachAttemptAndGivesUp()
    {
        server.Delay = TimeSpan.FromSeconds(5);

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() =>
            Connector(new HttpMmsOptions { AttemptTimeout = TimeSpan.FromMilliseconds(200), MaxAttempts = 2, FirstRetryDelay = TimeSpan.FromMilliseconds(10) })
                .FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-100"), CancellationToken.None));

        Assert.Contains("did not answer within 0.2 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("(2 attempts)", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task UnreachableEndpoint_IsUnavailable()
    {
        var baseUrl = server.BaseUrl;
        await server.DisposeAsync();
        server = await FakeMmsServer.StartAsync(Secret);

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() =>
            new HttpMmsConnector(Http, baseUrl, Secret, FastRetries).FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-100"), CancellationToken.None));

        Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongSecret_IsRejectedByTheEndpoint()
    {
        var connector = new HttpMmsConnector(Http, server.BaseUrl, "not-the-firm-secret-0123456789abcdef", FastRetries);

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() => connector.SearchAsync(Firm, MmsSearchBy.ClientName, "acme", 50, null, CancellationToken.None));

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Contains("shared secret", error.Message, StringComparison.Ordinal);
        Assert.False(Assert.Single(server.Requests).SignatureValid);
    }

    [Theory]
    [InlineData("outstandingBalance", "12.345", "more decimals than USD allows")]
    [InlineData("outstandingBalance", "-5.00", "is negative")]
    [InlineData("total", "1,200.00", "is not a decimal amount")]
    [InlineData("total", "", "must be 1 to")]
    [InlineData("invoiceDate", "2026-02-30", "is not a date")]
    [InlineData("dueDate", "05/02/2026", "is not a date")]
    [InlineData("currency", "XYZ", "not a supported")]
    [InlineData("outstandingBalance", "2000.00", "exceeds the invoice total")]
    public async Task MalformedInvoiceRow_IsUnavailableNamingTheRowAndField(string field, string value, string reason)
    {
        server.WriteInvoice = row =>
        {
            if ((string?)row["number"] == "INV-1002")
            {
                row[field] = value;
            }

            return row;
        };

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() =>
            Connector().OutstandingInvoicesAsync(Firm, [new(AssociationLevel.Client, "C-100")], CancellationToken.None));

        Assert.Contains("items[1] ('INV-1002')", error.Message, StringComparison.Ordinal);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MoneyAsJsonNumber_IsRefused()
    {
        server.WriteInvoice = row =>
        {
            row["total"] = 800.5m;
            return row;
        };

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() =>
            Connector().SearchAsync(Firm, MmsSearchBy.InvoiceNumber, "INV-1002", 50, null, CancellationToken.None));

        Assert.Contains("JSON number", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ZeroDecimalCurrency_ConvertsWholeUnits()
    {
        server.Invoices.Add(new("INV-3001", "C-200", "M-200-1", "2026-02-01", "2026-03-01", "50000", "12500", "JPY"));

        var found = await Connector().FindAsync(Firm, new MmsScope(AssociationLevel.Invoice, "INV-3001"), CancellationToken.None);

        Assert.Equal((12_500L, "JPY"), (found!.OutstandingMinor!.Value, found.Currency!));
    }

    [Fact]
    public async Task Find_EndpointAnsweringTwoRowsForOneNumber_IsRefused()
    {
        server.Clients.Add(new("C-100", "Acme Holdings (duplicate)"));

        var error = await Assert.ThrowsAsync<MmsUnavailableException>(() => Connector().FindAsync(Firm, new MmsScope(AssociationLevel.Client, "C-100"), CancellationToken.None));

        Assert.Contains("expected at most one", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://mms.example.com")]
    [InlineData("ftp://mms.example.com")]
    [InlineData("https://mms.example.com/api?x=1")]
    [InlineData("mms.example.com")]
    public void Constructor_BaseUrlThatIsNotHttpsOrLoopback_IsRejected(string baseUrl)
    {
        Assert.Throws<ArgumentException>(() => new HttpMmsConnector(Http, baseUrl, Secret));
    }

    private static HttpMmsOptions FastRetries => new() { FirstRetryDelay = TimeSpan.FromMilliseconds(10) };

    private HttpMmsConnector Connector(HttpMmsOptions? options = null) =>
        new(Http, server.BaseUrl, Secret, options ?? FastRetries);
}
