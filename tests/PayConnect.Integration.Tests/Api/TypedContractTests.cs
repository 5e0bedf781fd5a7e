using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

/// <summary>
/// The MMS, postings and schedule endpoints read validated request and query records: a bad request names every bad
/// field at once and changes nothing, and the answers have the documented shapes (the client checks each against
/// functions/openapi.json).
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class TypedContractTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    [Fact]
    public async Task CreateSchedule_WithSeveralBadFields_NamesEveryOne_AndStoresNothing()
    {
        var party = await CreatePartyAsync();
        var before = await Host.SnapshotAsync();

        var response = await Client.Post($"/api/firms/{FirmA}/payers/{party.PayerId}/schedules", new
        {
            paymentMethodId = party.PaymentMethodId,
            name = new string('n', 101),
            bankAccountId = party.BankAccountId,
            arMessage = "Card 4111 1111 1111 1111",
            frequency = new { kind = "TwiceMonthly", day1 = 20 },
            firstRunDate = "2026-04-01",
            amountRule = new { kind = "PayAllOutstanding", cap = 10 },
            maxRunAmount = -1,
        });

        Assert.Equal(400, response.Status);
        Assert.Equal(
            ["amountRule.cap", "arMessage", "frequency.day2", "maxRunAmount", "name"],
            response.Json!["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    [Fact]
    public async Task CreateSchedule_WithAWrongTypeAndAValueError_ReportsBoth()
    {
        var party = await CreatePartyAsync();

        var response = await Client.Post($"/api/firms/{FirmA}/payers/{party.PayerId}/schedules", new
        {
            paymentMethodId = party.PaymentMethodId,
            name = "",
            bankAccountId = party.BankAccountId,
            frequency = new { kind = "EveryNWeeks", n = "two" },
            firstRunDate = "2026-04-01",
            amountRule = new { kind = "PayAllOutstanding" },
        });

        Assert.Equal(400, response.Status);
        Assert.NotNull(response.Json!["errors"]!["frequency.n"]);
        Assert.NotNull(response.Json!["errors"]!["name"]);
    }

    [Fact]
    public async Task Schedule_IsAnsweredWithItsResponseRecord_AndItsPreviewAndEnrollmentsToo()
    {
        var party = await CreatePartyAsync();
        var id = await CreateAutoPayAsync(party, new { kind = "EveryNWeeks", n = 2 }, "2026-03-03", new { kind = "UpTo", cap = 250.50m });

        var schedule = Ok(await Client.Get($"/api/firms/{FirmA}/schedules/{id}"), 200).Json!;
        var list = Ok(await Client.Get($"/api/firms/{FirmA}/payers/{party.PayerId}/schedules"), 200).Json!;
        var enrollments = Ok(await Client.Get($"/api/firms/{FirmA}/schedules/{id}/enrollments"), 200).Json!;
        var upcoming = Ok(await Client.Get($"/api/firms/{FirmA}/schedules/{id}/upcoming?count=2"), 200).Json!;

        Assert.Equal("EveryNWeeks:2", schedule["frequency"]!.GetValue<string>());
        Assert.Equal(25050, schedule["amountRule"]!["capMinor"]!.GetValue<long>());
        Assert.Equal(id, list["items"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(party.AssociationId, enrollments["items"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(["2026-03-03", "2026-03-17"], upcoming["dates"]!.AsArray().Select(d => d!.GetValue<string>()));
    }

    [Theory]
    [InlineData("count=0")]
    [InlineData("count=101")]
    [InlineData("count=many")]
    [InlineData("count=2&count=3")]
    public async Task UpcomingRuns_WithABadCount_Answers400NamingIt(string query)
    {
        var id = await CreateAutoPayAsync(await CreatePartyAsync(), new { kind = "Monthly" }, "2026-03-03");

        var response = await Client.Get($"/api/firms/{FirmA}/schedules/{id}/upcoming?{query}");

        Assert.Equal(400, response.Status);
        Assert.NotNull(response.Json!["errors"]!["count"]);
    }

    [Fact]
    public async Task PutEnrollments_WithTheSameAssociationTwice_Answers400AndChangesNothing()
    {
        var party = await CreatePartyAsync();
        var id = await CreateAutoPayAsync(party, new { kind = "Monthly" }, "2026-03-03");
        var before = await Host.SnapshotAsync();

        var response = await Client.Put($"/api/firms/{FirmA}/schedules/{id}/enrollments", new { associationIds = new[] { party.AssociationId, party.AssociationId } });

        Assert.Equal(400, response.Status);
        Assert.NotNull(response.Json!["errors"]!["associationIds[1]"]);
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    [Fact]
    public async Task IngestMms_WithBadRowsOfEveryKind_NamesEveryRow_AndStoresNothing()
    {
        var before = await Host.SnapshotAsync();

        var response = await Client.Post($"/api/firms/{FirmA}/mms/ingest", new
        {
            clients = new object[] { new { number = "C-900", name = "" }, new { number = "c-900", name = "Twice" } },
            matters = new object[] { new { number = "M-900", name = "Matter" } },
            invoices = new object[]
            {
                new { number = "INV-900", clientNumber = "C-900", matterNumber = "M-900", invoiceDate = "2026-02-01", dueDate = "2026-01-01", total = 10m, outstandingBalance = 11m, currency = "XYZ" },
            },
        });

        Assert.Equal(400, response.Status);
        Assert.Equal(
            ["clients[0].name", "clients[1].number", "invoices[0].currency", "invoices[0].dueDate", "invoices[0].outstandingBalance", "matters[0].clientNumber"],
            response.Json!["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    [Fact]
    public async Task IngestMms_AnswersTheCountsItUpserted()
    {
        var response = Ok(await Client.Post($"/api/firms/{FirmA}/mms/ingest", new
        {
            clients = new[] { new { number = "C-901", name = "New Client" } },
            invoices = new[] { new { number = "INV-901", clientNumber = "C-901", matterNumber = "M-901", invoiceDate = "2026-02-01", dueDate = "2026-03-01", total = 10.5m, outstandingBalance = 10.5m } },
        }), 200).Json!;

        Assert.Equal(1, response["clients"]!.GetValue<int>());
        Assert.Equal(0, response["matters"]!.GetValue<int>());
        Assert.Equal(1, response["invoices"]!.GetValue<int>());
    }

    [Fact]
    public async Task SearchMms_WithBadParameters_NamesBoth()
    {
        var response = await Client.Get($"/api/firms/{FirmA}/mms/search?by=Everything&q={new string('q', 101)}");

        Assert.Equal(400, response.Status);
        Assert.Equal(["by", "q"], response.Json!["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SearchMms_AnswersAPageOfResults()
    {
        var page = Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by=clientName&q=Acme"), 200).Json!;

        Assert.Equal("C-100", page["items"]![0]!["number"]!.GetValue<string>());
        Assert.Equal("Client", page["items"]![0]!["level"]!.GetValue<string>());
    }
}
