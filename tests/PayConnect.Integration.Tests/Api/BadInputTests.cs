using PayConnect.Integration.Tests.Infrastructure;

namespace PayConnect.Integration.Tests.Api;

/// <summary>Each bad input answers 400 with field errors in problem+json and leaves storage exactly as it was.</summary>
[Collection(EmulatorCollection.Name)]
public sealed class BadInputTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    private string _payerId = "";
    private string _methodId = "";
    private string _bankId = "";
    private string _scheduleId = "";
    private string _foreignMethodId = "";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _payerId = await CreatePayerAsync();
        _methodId = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{_payerId}/payment-methods",
            new { kind = "Card", token = "pm_sandbox_approve", displayName = "Visa", last4 = "4242", expiryMonth = 1, expiryYear = 2030 }), 201).Json!["id"]!.GetValue<string>();
        _bankId = Ok(await Client.Post($"/api/firms/{FirmA}/bank-accounts", new { name = "Trust", kind = "Trust", last4 = "0001" }), 201).Json!["id"]!.GetValue<string>();
        var other = await CreatePayerAsync("Someone else");
        _foreignMethodId = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{other}/payment-methods",
            new { kind = "Card", token = "pm_sandbox_approve", displayName = "Amex", last4 = "0005", expiryMonth = 1, expiryYear = 2030 }), 201).Json!["id"]!.GetValue<string>();
        _scheduleId = Ok(await Client.Post($"/api/firms/{FirmA}/payers/{_payerId}/schedules", Schedule()), 201).Json!["id"]!.GetValue<string>();
    }

    public static TheoryData<string, string, string, string> Cases() => new()
    {
        // name, method, path template, body (JSON; {payer} {method} {bank} {schedule} {foreign} are filled in) — expected error field is asserted by name below
        { "settings: invalid time zone", "PUT", "settings", """{"name":"X","timeZone":"Mars/Olympus","currency":"USD"}""" },
        { "settings: fixed-offset zone, not an IANA id", "PUT", "settings", """{"name":"X","timeZone":"UTC+05","currency":"USD"}""" },
        { "settings: unknown currency", "PUT", "settings", """{"name":"X","timeZone":"America/Chicago","currency":"XYZ"}""" },
        { "settings: name wrong type", "PUT", "settings", """{"name":42,"timeZone":"America/Chicago"}""" },
        { "bank account: unknown kind", "POST", "bank-accounts", """{"name":"B","kind":"Savings","last4":"1234"}""" },
        { "bank account: last4 not digits", "POST", "bank-accounts", """{"name":"B","kind":"Trust","last4":"12a4"}""" },
        { "payer: missing name", "POST", "payers", """{"email":"a@b.test"}""" },
        { "payer: bad email", "POST", "payers", """{"name":"P","email":"not-an-email"}""" },
        { "body: not JSON", "POST", "payers", """{"name": """ },
        { "body: JSON array instead of object", "POST", "payers", """[1,2,3]""" },
        { "payment method: card-number-like token", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"4242 4242 4242 4242","displayName":"Visa","last4":"4242","expiryMonth":1,"expiryYear":2030}""" },
        { "payment method: raw card number field", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"pm_sandbox_approve","cardNumber":"4111111111111111","displayName":"Visa","last4":"1111","expiryMonth":1,"expiryYear":2030}""" },
        { "payment method: expiry month 13", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"pm_sandbox_approve","displayName":"Visa","last4":"1111","expiryMonth":13,"expiryYear":2030}""" },
        { "payment method: unknown kind", "POST", "payers/{payer}/payment-methods", """{"kind":"Cheque","token":"pm_sandbox_approve","displayName":"X","last4":"1111"}""" },
        { "payment method: card number with dots as the token", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"4111.1111.1111.1111","displayName":"Visa","last4":"1111","expiryMonth":1,"expiryYear":2030}""" },
        { "payment method: card number with slashes as the token", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"4111/1111/1111/1111","displayName":"Visa","last4":"1111","expiryMonth":1,"expiryYear":2030}""" },
        { "payment method: card number inside a gateway-shaped token", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"pm_sandbox_approve.4111_1111_1111_1111","displayName":"Visa","last4":"1111","expiryMonth":1,"expiryYear":2030}""" },
        { "payment method: card number in the display name", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"pm_sandbox_approve","displayName":"Visa 4111,1111,1111,1111","last4":"1111","expiryMonth":1,"expiryYear":2030}""" },
        { "payment method: token not of the gateway's shape", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"tok_1","displayName":"Visa","last4":"1111","expiryMonth":1,"expiryYear":2030}""" },
        { "payment method: a Stripe token while the gateway is the sandbox", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"cus_Abc123|pm_1Xyz","displayName":"Visa","last4":"1111","expiryMonth":1,"expiryYear":2030}""" },
        { "payment method: Ach with an expiry", "POST", "payers/{payer}/payment-methods", """{"kind":"Ach","token":"pm_sandbox_ach_approve","displayName":"First Bank","last4":"1111","expiryMonth":1}""" },
        { "payment method: card without an expiry", "POST", "payers/{payer}/payment-methods", """{"kind":"Card","token":"pm_sandbox_approve","displayName":"Visa","last4":"1111"}""" },
        { "payer: card number in the name, dot separated", "POST", "payers", """{"name":"Acme 4111.1111.1111.1111"}""" },
        { "payer: card number in the name, mixed separators", "POST", "payers", """{"name":"Acme 4111 - 1111 / 1111 _ 1111"}""" },
        { "payer: duplicate property", "POST", "payers", """{"name":"A","name":"B"}""" },
        { "payer: duplicate property differing in case", "POST", "payers", """{"name":"A","Name":"B"}""" },
        { "associations: duplicate property inside an item", "POST", "payers/{payer}/associations", """{"items":[{"level":"Client","number":"C-100","number":"C-200"}]}""" },
        { "payer: unknown property", "POST", "payers", """{"name":"A","nickname":"B"}""" },
        { "payer: null name", "POST", "payers", """{"name":null}""" },
        { "payer: email with angle brackets", "POST", "payers", """{"name":"P","email":"<ap@acme.test>"}""" },
        { "payer: email with a display name", "POST", "payers", """{"name":"P","email":"Accounts <ap@acme.test>"}""" },
        { "payer: update with a duplicate property", "PUT", "payers/{payer}", """{"name":"A","name":"B"}""" },
        { "settings: duplicate property", "PUT", "settings", """{"name":"X","timeZone":"America/Chicago","timeZone":"Europe/Paris"}""" },
        { "settings: card number in the firm name", "PUT", "settings", """{"name":"Firm 4111 1111 1111 1111","timeZone":"America/Chicago"}""" },
        { "settings: MMS base URL without the Http connector", "PUT", "settings", """{"name":"X","timeZone":"America/Chicago","mmsBaseUrl":"https://mms.firm.test"}""" },
        { "bank account: card number in the name", "POST", "bank-accounts", """{"name":"Trust 4111-1111-1111-1111","kind":"Trust","last4":"1111"}""" },
        { "associations: empty items", "POST", "payers/{payer}/associations", """{"items":[]}""" },
        { "associations: unknown level", "POST", "payers/{payer}/associations", """{"items":[{"level":"Firm","number":"C-100"}]}""" },
        { "associations: not in the MMS", "POST", "payers/{payer}/associations", """{"items":[{"level":"Client","number":"C-404"}]}""" },
        { "associations: same result ticked twice", "POST", "payers/{payer}/associations", """{"items":[{"level":"Client","number":"C-100"},{"level":"Client","number":"C-100"}]}""" },
        { "schedule: missing fields", "POST", "payers/{payer}/schedules", """{}""" },
        { "schedule: zero cap", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"UpTo","cap":0}}""" },
        { "schedule: negative cap", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"UpTo","cap":-5}}""" },
        { "schedule: cap with three decimals in USD", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"UpTo","cap":10.005}}""" },
        { "schedule: cap as text", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"UpTo","cap":"lots"}}""" },
        { "schedule: unknown frequency", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"Fortnightly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "schedule: every 0 weeks", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"EveryNWeeks","n":0},"firstRunDate":"2026-04-01","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "schedule: twice monthly days reversed", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"TwiceMonthly","day1":20,"day2":5},"firstRunDate":"2026-04-01","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "schedule: foreign payment method", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{foreign}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "schedule: unknown bank account", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"ba_nope","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "schedule: A/R message too long", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","arMessage":"{long}","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "schedule: first run date in the past", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"Monthly"},"firstRunDate":"2026-01-01","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "schedule: date not a date", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"Monthly"},"firstRunDate":"31/03/2026","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "schedule: unknown amount rule", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"Everything"}}""" },
        { "enrollments: foreign association", "PUT", "schedules/{schedule}/enrollments", """{"associationIds":["client-Qy0yMDA"]}""" },
        { "enrollments: not an array", "PUT", "schedules/{schedule}/enrollments", """{"associationIds":"client-1"}""" },
        { "subscription: bad email", "POST", "notification-subscriptions", """{"email":"nobody"}""" },
        { "subscription: email in angle brackets", "POST", "notification-subscriptions", """{"email":"<oncall2@demo-firm.test>"}""" },
        { "subscription: quoted local part with a comma", "POST", "notification-subscriptions", """{"email":"\"x,y\"@demo-firm.test"}""" },
        { "subscription: two addresses", "POST", "notification-subscriptions", """{"email":"a@demo-firm.test, b@demo-firm.test"}""" },
        { "subscription: card number in the display name", "POST", "notification-subscriptions", """{"email":"ops@demo-firm.test","displayName":"4111 1111 1111 1111"}""" },
        { "subscription: no types", "POST", "notification-subscriptions", """{"email":"ops@demo-firm.test","types":[]}""" },
        { "schedule: card number in the A/R message", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"S","bankAccountId":"{bank}","arMessage":"Card 4111.1111.1111.1111","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "schedule: card number in the name", "POST", "payers/{payer}/schedules", """{"paymentMethodId":"{method}","name":"4111/1111/1111/1111","bankAccountId":"{bank}","frequency":{"kind":"Monthly"},"firstRunDate":"2026-04-01","amountRule":{"kind":"PayAllOutstanding"}}""" },
        { "subscription: unknown type", "POST", "notification-subscriptions", """{"email":"ops@firm.test","types":["Everything"]}""" },
        { "ingest: outstanding above total", "POST", "mms/ingest", """{"invoices":[{"number":"X1","clientNumber":"C","matterNumber":"M","invoiceDate":"2026-01-01","dueDate":"2026-01-31","total":10,"outstandingBalance":11}]}""" },
        { "ingest: due date before invoice date", "POST", "mms/ingest", """{"invoices":[{"number":"X1","clientNumber":"C","matterNumber":"M","invoiceDate":"2026-02-01","dueDate":"2026-01-31","total":10,"outstandingBalance":10}]}""" },
        { "oversized body", "POST", "payers", "{huge}" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInput_Answers400WithFieldErrors_AndChangesNothing(string name, string method, string path, string body)
    {
        var before = await Host.SnapshotAsync();
        var filled = body
            .Replace("{payer}", _payerId).Replace("{method}", _methodId).Replace("{bank}", _bankId).Replace("{foreign}", _foreignMethodId)
            .Replace("{long}", new string('a', 251))
            .Replace("{huge}", "{\"name\":\"" + new string('x', 300 * 1024) + "\"}");
        var url = $"/api/firms/{FirmA}/" + path.Replace("{payer}", _payerId).Replace("{schedule}", _scheduleId);

        var response = await Client.Send(method, url, filled);

        Assert.True(response.Status == 400, $"{name}: {response}");
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.NotEmpty(response.Json!["errors"]!.AsObject());
        Assert.Equal(400, response.Json!["status"]!.GetValue<int>());
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    public static TheoryData<string, string> MalformedIfMatch() => new()
    {
        { "PUT", "settings" }, { "PUT", "payers/{payer}" }, { "PUT", "schedules/{schedule}" },
    };

    [Theory]
    [MemberData(nameof(MalformedIfMatch))]
    public async Task MalformedIfMatch_Answers400NamingTheHeader_AndChangesNothing(string method, string path)
    {
        var url = $"/api/firms/{FirmA}/" + path.Replace("{payer}", _payerId).Replace("{schedule}", _scheduleId);
        var body = await ValidBodyFor(url);
        foreach (var ifMatch in new[] { "garbage", "\"unterminated", "W/abc", "\"a\", \"b\"" })
        {
            var before = await Host.SnapshotAsync();

            var response = await Client.Send(method, url, body, new Dictionary<string, string> { ["If-Match"] = ifMatch });

            Assert.True(response.Status == 400, $"If-Match {ifMatch}: {response}");
            Assert.Equal("application/problem+json", response.ContentType);
            Assert.NotNull(response.Json!["errors"]!["If-Match"]);
            Assert.Equal(before, await Host.SnapshotAsync());
        }
    }

    [Theory]
    [MemberData(nameof(MalformedIfMatch))]
    public async Task WellFormedStaleIfMatch_Answers412_AndChangesNothing(string method, string path)
    {
        var url = $"/api/firms/{FirmA}/" + path.Replace("{payer}", _payerId).Replace("{schedule}", _scheduleId);
        var body = await ValidBodyFor(url);
        var before = await Host.SnapshotAsync();

        var response = await Client.Send(method, url, body, new Dictionary<string, string> { ["If-Match"] = "W/\"datetime'2020-01-01T00%3A00%3A00.0000000Z'\"" });

        Assert.True(response.Status == 412, response.ToString());
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(before, await Host.SnapshotAsync());
    }

    /// <summary>What the record at <paramref name="url"/> holds now, as a body that would update it.</summary>
    private async Task<string> ValidBodyFor(string url)
    {
        var current = Ok(await Client.Get(url), 200).Json!;
        return url.Contains("/schedules/", StringComparison.Ordinal)
            ? System.Text.Json.JsonSerializer.Serialize(Schedule())
            : url.EndsWith("/settings", StringComparison.Ordinal)
                ? $$"""{"name":"{{current["name"]}}","timeZone":"{{current["timeZone"]}}"}"""
                : $$"""{"name":"{{current["name"]}}"}""";
    }

    private object Schedule() => new
    {
        paymentMethodId = _methodId,
        name = "Monthly",
        bankAccountId = _bankId,
        frequency = new { kind = "Monthly" },
        firstRunDate = "2026-04-01",
        amountRule = new { kind = "PayAllOutstanding" },
    };
}
