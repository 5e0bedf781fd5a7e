using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

/// <summary>The seed article's flow end to end: search, tick, associate, create an Auto-Pay with each field, enroll, read back.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class AutoPayFlowTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    [Fact]
    public async Task SeedFlow_SearchAssociateCreateAutoPayEnroll_ReadsEverythingBack()
    {
        var payerId = await CreatePayerAsync();
        var method = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/payment-methods",
            new { kind = "Card", token = "pm_sandbox_approve", displayName = "Visa", last4 = "4242", expiryMonth = 8, expiryYear = 2031 }), 201).Json!["id"]!.GetValue<string>();
        var bank = Ok(await Client.Post($"/api/firms/{FirmA}/bank-accounts", new { name = "Operating", kind = "Operating", last4 = "6789" }), 201).Json!["id"]!.GetValue<string>();

        var found = Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by=ClientName&q=acme"), 200).Json!["items"]![0]!;
        var invoice = Ok(await Client.Get($"/api/firms/{FirmA}/mms/search?by=InvoiceNumber&q=INV-2001"), 200).Json!["items"]![0]!;
        var associations = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/associations", new
        {
            items = new[]
            {
                new { level = found["level"]!.GetValue<string>(), number = found["number"]!.GetValue<string>() },
                new { level = invoice["level"]!.GetValue<string>(), number = invoice["number"]!.GetValue<string>() },
            },
        }), 201).Json!["items"]!.AsArray().Select(a => a!["id"]!.GetValue<string>()).ToArray();

        var created = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{payerId}/schedules", new
        {
            paymentMethodId = method,
            name = "Acme monthly",
            bankAccountId = bank,
            arMessage = "Thank you - Auto-Pay",
            frequency = new { kind = "Monthly" },
            firstRunDate = "2026-03-31",
            amountRule = new { kind = "UpTo", cap = 500.25m },
        }), 201);
        var scheduleId = created.Json!["id"]!.GetValue<string>();
        var enrolled = Ok(await Client.Put($"/api/firms/{FirmA}/schedules/{scheduleId}/enrollments", new { associationIds = associations }), 200);
        var read = Ok(await Client.Get($"/api/firms/{FirmA}/schedules/{scheduleId}"), 200).Json!;
        var upcoming = Ok(await Client.Get($"/api/firms/{FirmA}/schedules/{scheduleId}/upcoming?count=4"), 200).Json!;
        var listed = Ok(await Client.Get($"/api/firms/{FirmA}/payers/{payerId}/schedules"), 200).Json!;

        Assert.Equal(2, enrolled.Json!["items"]!.AsArray().Count);
        Assert.Equal("OneYear", read["lifetime"]!.GetValue<string>());
        Assert.Equal(method, read["paymentMethodId"]!.GetValue<string>());
        Assert.Equal(bank, read["bankAccountId"]!.GetValue<string>());
        Assert.Equal("Thank you - Auto-Pay", read["arMessage"]!.GetValue<string>());
        Assert.Equal("Monthly", read["frequency"]!.GetValue<string>());
        Assert.Equal("2026-03-31", read["firstRunDate"]!.GetValue<string>());
        Assert.Equal("UpTo", read["amountRule"]!["kind"]!.GetValue<string>());
        Assert.Equal(50025, read["amountRule"]!["capMinor"]!.GetValue<long>());
        Assert.Equal("2026-03-31", read["nextRunDate"]!.GetValue<string>());
        Assert.Equal(["2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"], upcoming["dates"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Single(listed["items"]!.AsArray());
    }

    [Fact]
    public async Task PauseAndResume_ChangeStateAndNextRun_AndEndedCannotResume()
    {
        var (_, scheduleId) = await CreateScheduleAsync();

        var paused = Ok(await Client.Post($"/api/firms/{FirmA}/schedules/{scheduleId}/pause", null), 200).Json!;
        var resumed = Ok(await Client.Post($"/api/firms/{FirmA}/schedules/{scheduleId}/resume", null), 200).Json!;
        Ok(await Client.Post($"/api/firms/{FirmA}/schedules/{scheduleId}/end", null), 200);
        var again = await Client.Post($"/api/firms/{FirmA}/schedules/{scheduleId}/resume", null);

        Assert.Equal("Paused", paused["state"]!.GetValue<string>());
        Assert.Null(paused["nextRunDate"]);
        Assert.Equal("Active", resumed["state"]!.GetValue<string>());
        Assert.NotNull(resumed["nextRunDate"]);
        Assert.Equal(409, again.Status);
    }

    [Fact]
    public async Task Enrollments_OfAnotherPayersAssociation_AreRejected()
    {
        var (_, scheduleId) = await CreateScheduleAsync();
        var otherPayer = await CreatePayerAsync("Other payer");
        var foreign = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{otherPayer}/associations", new { items = new[] { new { level = "Client", number = "C-200" } } }), 201)
            .Json!["items"]![0]!["id"]!.GetValue<string>();

        var response = await Client.Put($"/api/firms/{FirmA}/schedules/{scheduleId}/enrollments", new { associationIds = new[] { foreign } });

        Assert.Equal(400, response.Status);
        Assert.True(response.Json!["errors"]!.AsObject().ContainsKey("associationIds[0]"), response.Body);
    }

    private async Task<(string PayerId, string ScheduleId)> CreateScheduleAsync()
    {
        var party = await CreatePartyAsync("pm_sandbox_ach_approve", "Ach");
        return (party.PayerId, await CreateAutoPayAsync(party, new { kind = "Weekly" }, "2026-03-10", name: "Weekly"));
    }
}
