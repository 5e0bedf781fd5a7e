using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Email.Acs;
using PayConnect.Notifications;

namespace PayConnect.Adapters.Tests.Email;

public sealed class AcsEmailSenderTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly VirtualTimeProvider time = new(Start);
    private readonly HttpClient http = new();
    private FakeAcsServer server = null!;
    private bool expectViolations;

    public async Task InitializeAsync() => server = await FakeAcsServer.StartAsync();

    // Every test also proves the client kept the protocol: signature, content hash, api-version, body shape.
    public async Task DisposeAsync()
    {
        http.Dispose();
        await server.DisposeAsync();
        if (!expectViolations)
        {
            Assert.Empty(server.Violations);
        }
    }

    private static EmailMessage Message(string id = "ntf-1") => new(
        id,
        [new EmailAddress("oncall@firm.test", "On Call"), new EmailAddress("books@firm.test")],
        "Error-Failed AutoPay: Retainer for Jane Doe on 2026-03-01",
        "plain body",
        "<p>html body</p>");

    private AcsEmailSender Sender(Action<AcsEmailOptions>? tweak = null, TimeProvider? clock = null, string? accessKey = null, Uri? endpoint = null, AcsAuthorization? authorization = null)
    {
        var options = new AcsEmailOptions
        {
            Endpoint = endpoint ?? server.Endpoint,
            AccessKey = accessKey ?? FakeAcsServer.TestAccessKey,
            SenderAddress = "DoNotReply@payconnect.test",
            InitialBackoff = TimeSpan.FromMilliseconds(100),
        };
        tweak?.Invoke(options);
        return new AcsEmailSender(http, Options.Create(options), clock ?? time, NullLogger<AcsEmailSender>.Instance, authorization);
    }

    [Fact]
    public async Task Send_FirstTime_ReadsTheOperationThenPostsAndPollsUntilSucceededWaitingWhatTheServiceAsks()
    {
        server.RetryAfterSeconds = 3;

        var result = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.True(result.IsSent);
        var operationId = AcsOperationId.For("ntf-1").ToString();
        Assert.Equal(operationId, result.TransportReference);
        Assert.Empty(server.Violations);
        Assert.Equal(["GET", "POST", "GET", "GET"], server.Requests.Select(r => r.Method));
        Assert.Equal($"/emails/operations/{operationId}?api-version=2023-03-31", server.Requests[0].Target);
        Assert.Equal("/emails:send?api-version=2023-03-31", server.Requests[1].Target);
        Assert.Equal([TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)], time.Waits);
    }

    [Fact]
    public async Task Send_Accepted_FollowsTheOperationLocationItWasGiven()
    {
        server.OperationLocationMarker = "&location-token=abc123";

        await Sender().SendAsync(Message(), CancellationToken.None);

        var operationId = AcsOperationId.For("ntf-1").ToString();
        Assert.All(server.Polls().Skip(1), p => Assert.Equal($"/emails/operations/{operationId}?api-version=2023-03-31&location-token=abc123", p.Target));
        Assert.Equal(2, server.Polls().Skip(1).Count());
    }

    [Fact]
    public async Task Send_WithManagedIdentity_SendsAnEntraTokenForTheCommunicationScopeAndNoSignature()
    {
        await using var entraOnly = await FakeAcsServer.StartAsync(bearerToken: "entra-token-1");
        var credential = new RecordingCredential("entra-token-1");
        var sender = new AcsEmailSender(
            http,
            Options.Create(new AcsEmailOptions { Endpoint = entraOnly.Endpoint, SenderAddress = "DoNotReply@payconnect.test" }),
            time,
            NullLogger<AcsEmailSender>.Instance,
            AcsAuthorization.FromTokenCredential(credential, time));

        var result = await sender.SendAsync(Message(), CancellationToken.None);

        Assert.True(result.IsSent);
        Assert.Empty(entraOnly.Violations);
        Assert.All(entraOnly.Requests, r => Assert.Equal("Bearer entra-token-1", r.Authorization));
        Assert.Equal(["https://communication.azure.com//.default"], Assert.Single(credential.Requests));
    }

    [Fact]
    public async Task Send_AccessKeyToAResourceWithLocalAuthDisabled_IsRefusedAndKeptForLater()
    {
        expectViolations = true;
        await using var entraOnly = await FakeAcsServer.StartAsync(bearerToken: "entra-token-1");

        await Assert.ThrowsAsync<EmailTransientException>(() => Sender(endpoint: entraOnly.Endpoint).SendAsync(Message(), CancellationToken.None));

        Assert.Contains("HMAC signature sent to a resource with local auth disabled", entraOnly.Violations);
    }

    [Fact]
    public async Task Send_RetryAfterLongerThanTheDefaultInterval_IsWaitedInFull()
    {
        server.RetryAfterSeconds = 25;

        var result = await Sender(o => o.DefaultPollInterval = TimeSpan.FromSeconds(2)).SendAsync(Message(), CancellationToken.None);

        Assert.True(result.IsSent);
        Assert.Equal([TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(25)], time.Waits);
    }

    [Fact]
    public async Task Send_RetryAfterBeyondThePollBudget_HandsTheWaitToTheOutboxInsteadOfPollingEarly()
    {
        server.RetryAfterSeconds = 90;

        var error = await Assert.ThrowsAsync<EmailTransientException>(() => Sender(o => o.PollTimeout = TimeSpan.FromSeconds(60)).SendAsync(Message(), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(90), error.RetryAfter);
        Assert.Empty(time.Waits);
        Assert.Single(server.Polls()); // only the read before the post
    }

    [Fact]
    public async Task Send_AfterAFailedOperation_TheResendPostsOnceUnderANewOperationId()
    {
        server.EnqueueOperation(["Running", "Failed"], ("ServiceUnavailable", "Try again later."));
        server.EnqueueOperation(["Running", "Succeeded"]);

        await Assert.ThrowsAsync<EmailTransientException>(() => Sender().SendAsync(Message(), CancellationToken.None));
        var resent = await Sender().SendAsync(Message(), CancellationToken.None);
        var again = await Sender().SendAsync(Message(), CancellationToken.None);

        var first = AcsOperationId.For("ntf-1", 0).ToString();
        var second = AcsOperationId.For("ntf-1", 1).ToString();
        Assert.NotEqual(first, second);
        Assert.Equal([first, second], server.Sends().Select(s => s.OperationId));
        Assert.Equal((true, second), (resent.IsSent, resent.TransportReference));
        Assert.Equal((true, second), (again.IsSent, again.TransportReference));
        Assert.Equal(server.Sends()[0].Body, server.Sends()[1].Body);
    }

    [Fact]
    public async Task Send_AfterACanceledOperation_TheResendPostsUnderANewOperationId()
    {
        server.EnqueueOperation(["Canceled"]);
        server.EnqueueOperation(["Succeeded"]);

        await Assert.ThrowsAsync<EmailTransientException>(() => Sender().SendAsync(Message(), CancellationToken.None));
        var resent = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.True(resent.IsSent);
        Assert.Equal([AcsOperationId.For("ntf-1", 0).ToString(), AcsOperationId.For("ntf-1", 1).ToString()], server.Sends().Select(s => s.OperationId));
    }

    [Fact]
    public async Task Send_ResendWhileTheOperationStillRuns_FollowsItWithoutPostingAgain()
    {
        server.EnqueueOperation(["Running", "Running", "Running", "Succeeded"]);
        server.RetryAfterSeconds = 20;

        await Assert.ThrowsAsync<EmailTransientException>(() => Sender(o => o.PollTimeout = TimeSpan.FromSeconds(30)).SendAsync(Message(), CancellationToken.None));
        var resent = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.True(resent.IsSent);
        Assert.Single(server.Sends());
    }

    [Fact]
    public async Task Send_ResendOfAPermanentlyFailedOperation_IsRejectedWithoutPosting()
    {
        server.OperationStatuses = ["Failed"];
        var first = await Sender().SendAsync(Message(), CancellationToken.None);

        var resent = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.Equal((EmailSendOutcome.Rejected, EmailSendOutcome.Rejected), (first.Outcome, resent.Outcome));
        Assert.Single(server.Sends());
    }

    [Fact]
    public async Task Send_PostsTheDocumentedBody()
    {
        await Sender().SendAsync(Message(), CancellationToken.None);

        var body = server.Sends().Single().Json;
        Assert.Equal("DoNotReply@payconnect.test", (string?)body["senderAddress"]);
        Assert.Equal("oncall@firm.test", (string?)body["recipients"]!["to"]![0]!["address"]);
        Assert.Equal("On Call", (string?)body["recipients"]!["to"]![0]!["displayName"]);
        Assert.Equal("books@firm.test", (string?)body["recipients"]!["to"]![1]!["address"]);
        Assert.Null(body["recipients"]!["to"]![1]!["displayName"]);
        Assert.Equal("Error-Failed AutoPay: Retainer for Jane Doe on 2026-03-01", (string?)body["content"]!["subject"]);
        Assert.Equal("plain body", (string?)body["content"]!["plainText"]);
        Assert.Equal("<p>html body</p>", (string?)body["content"]!["html"]);
        Assert.True((bool?)body["userEngagementTrackingDisabled"]);
    }

    [Fact]
    public async Task Send_Throttled_WaitsRetryAfterThenSucceeds()
    {
        server.EnqueueSendAnswer(429, null, ("retry-after", "5"));

        var result = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.True(result.IsSent);
        Assert.Empty(server.Violations);
        var sends = server.Sends();
        Assert.Equal(2, sends.Count);
        Assert.Equal(sends[0].OperationId, sends[1].OperationId);
        Assert.NotEqual(sends[0].ClientRequestId, sends[1].ClientRequestId);
        Assert.Equal(TimeSpan.FromSeconds(5), time.Waits.First());
    }

    [Fact]
    public async Task Send_ThrottledWithRetryAfterMs_OnTheRealClock_WaitsBriefly()
    {
        server.RetryAfterSeconds = 0;
        server.EnqueueSendAnswer(429, null, ("retry-after-ms", "50"));
        var watch = Stopwatch.StartNew();

        var result = await Sender(clock: TimeProvider.System).SendAsync(Message(), CancellationToken.None);

        Assert.True(result.IsSent);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(45), TimeSpan.FromSeconds(5));
        Assert.Equal(2, server.Sends().Count);
    }

    [Fact]
    public async Task Send_ServerErrorTwice_ThenSucceeds()
    {
        server.EnqueueSendAnswer(500);
        server.EnqueueSendAnswer(503);

        var result = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.True(result.IsSent);
        Assert.Equal(3, server.Sends().Count);
        Assert.Single(server.Sends().Select(s => s.OperationId).Distinct());
        var backoffs = time.Waits.Take(2).ToList();
        Assert.InRange(backoffs[0], TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(120));
        Assert.InRange(backoffs[1], TimeSpan.FromMilliseconds(160), TimeSpan.FromMilliseconds(240));
    }

    [Fact]
    public async Task Send_PersistentServerError_ThrowsTransientAfterBoundedAttempts()
    {
        for (var i = 0; i < 10; i++)
        {
            server.EnqueueSendAnswer(500);
        }

        await Assert.ThrowsAsync<EmailTransientException>(() => Sender(o => o.MaxAttempts = 4).SendAsync(Message(), CancellationToken.None));

        Assert.Equal(4, server.Sends().Count);
        Assert.Single(server.Polls()); // the read before the post
    }

    [Fact]
    public async Task Send_BadRequest_IsRejectedWithoutRetry()
    {
        server.EnqueueSendAnswer(400, """{"error":{"code":"InvalidRecipient","message":"Recipient address is invalid."}}""");

        var result = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(EmailSendOutcome.Rejected, result.Outcome);
        Assert.Equal("InvalidRecipient", result.ErrorCode);
        Assert.Equal("Recipient address is invalid.", result.ErrorMessage);
        Assert.Single(server.Sends());
        Assert.Single(server.Polls()); // the read before the post
    }

    [Fact]
    public async Task Send_OperationFailed_IsReportedAsRejected()
    {
        server.OperationStatuses = ["Running", "Failed"];

        var result = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.Equal(EmailSendOutcome.Rejected, result.Outcome);
        Assert.Equal("EmailDropped", result.ErrorCode);
        Assert.Equal("Email was dropped after several attempts to deliver.", result.ErrorMessage);
        Assert.Equal(AcsOperationId.For("ntf-1").ToString(), result.TransportReference);
    }

    [Fact]
    public async Task Send_OperationFailedForATransientReason_Throws()
    {
        server.OperationStatuses = ["Failed"];
        server.FailedError = ("ServiceUnavailable", "Try again later.");

        var error = await Assert.ThrowsAsync<EmailTransientException>(() => Sender().SendAsync(Message(), CancellationToken.None));

        Assert.Contains("ServiceUnavailable", error.Message);
    }

    [Fact]
    public async Task Send_OperationCanceled_Throws()
    {
        server.OperationStatuses = ["Canceled"];

        await Assert.ThrowsAsync<EmailTransientException>(() => Sender().SendAsync(Message(), CancellationToken.None));
    }

    [Fact]
    public async Task Send_SameMessageIdAfterSuccess_FindsTheOperationAndDoesNotPostAgain()
    {
        var one = await Sender().SendAsync(Message("ntf-1"), CancellationToken.None);
        var again = await Sender().SendAsync(Message("ntf-1"), CancellationToken.None);
        await Sender().SendAsync(Message("ntf-2"), CancellationToken.None);

        var ids = server.Sends().Select(s => s.OperationId).ToList();
        Assert.Equal([AcsOperationId.For("ntf-1").ToString(), AcsOperationId.For("ntf-2").ToString()], ids);
        Assert.Equal((true, one.TransportReference), (again.IsSent, again.TransportReference));
        Assert.Empty(server.Violations);
    }

    [Fact]
    public async Task Send_ConflictAfterTheRead_PollsTheOperationSomeoneElsePosted()
    {
        await Sender().SendAsync(Message(), CancellationToken.None);
        server.EnqueuePollAnswer(404, """{"error":{"code":"NotFound","message":"Unknown operation."}}""");
        server.EnqueueSendAnswer(409, """{"error":{"code":"Conflict","message":"Operation exists."}}""");
        var before = server.Requests.Count;

        var result = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.True(result.IsSent);
        Assert.Equal(["GET", "POST", "GET"], server.Requests.Skip(before).Select(r => r.Method));
    }

    [Fact]
    public async Task Send_WithTamperedKey_IsRefusedByTheFake()
    {
        expectViolations = true;
        var wrongKey = Convert.ToBase64String(Enumerable.Repeat((byte)42, 32).ToArray());

        await Assert.ThrowsAsync<EmailTransientException>(() => Sender(accessKey: wrongKey).SendAsync(Message(), CancellationToken.None));

        Assert.Equal(["signature does not verify"], server.Violations);
        Assert.Empty(server.Sends());
    }

    [Fact]
    public async Task Send_RetryAfterLongerThanOneCallWaits_HandsTheRetryToTheOutbox()
    {
        server.EnqueueSendAnswer(429, null, ("retry-after", "120"));

        var error = await Assert.ThrowsAsync<EmailTransientException>(() => Sender().SendAsync(Message(), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
        Assert.Single(server.Sends());
        Assert.Empty(time.Waits);
        Assert.Single(server.Polls());
    }

    [Fact]
    public async Task Send_OperationNeverFinishes_GivesUpAsTransientAtThePollTimeout()
    {
        server.OperationStatuses = ["Running"];

        await Assert.ThrowsAsync<EmailTransientException>(() => Sender(o => o.PollTimeout = TimeSpan.FromSeconds(30)).SendAsync(Message(), CancellationToken.None));

        Assert.True(time.GetUtcNow() - Start <= TimeSpan.FromSeconds(30));
        Assert.InRange(server.Polls().Count - 1, 25, 30);
    }

    [Fact]
    public async Task Send_ThrottledPoll_IsRetried()
    {
        server.EnqueuePollAnswer(429, null, ("retry-after", "2"));

        var result = await Sender().SendAsync(Message(), CancellationToken.None);

        Assert.True(result.IsSent);
        Assert.Contains(TimeSpan.FromSeconds(2), time.Waits);
        Assert.Empty(server.Violations);
    }

    [Fact]
    public async Task Send_ServiceUnreachable_ThrowsTransient()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var error = await Assert.ThrowsAsync<EmailTransientException>(
            () => Sender(o => o.MaxAttempts = 2, endpoint: new Uri($"http://127.0.0.1:{port}")).SendAsync(Message(), CancellationToken.None));

        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public async Task Send_CallerCancels_ThrowsOperationCanceled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Sender().SendAsync(Message(), cancelled.Token));
    }

    [Fact]
    public void OperationId_IsAVersion5UuidOfTheMessageId()
    {
        var id = AcsOperationId.For("firm-1/sch-1/2026-03-01/oncall@firm.test");

        Assert.Equal(id, AcsOperationId.For("firm-1/sch-1/2026-03-01/oncall@firm.test"));
        Assert.Equal('5', id.ToString()[14]);
        Assert.Contains(id.ToString()[19], "89ab");
    }

    [Fact]
    public void NameBasedGuid_MatchesTheRfcExample()
    {
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), NameBasedGuid.V5(dns, "www.example.com"));
    }

    [Fact]
    public void OperationId_OfAResend_IsANewVersion5UuidAndGenerationZeroIsTheFirstSend()
    {
        Assert.Equal(AcsOperationId.For("ntf-1"), AcsOperationId.For("ntf-1", 0));
        Assert.NotEqual(AcsOperationId.For("ntf-1", 1), AcsOperationId.For("ntf-1", 2));
        Assert.Equal(AcsOperationId.For("ntf-1", 1), AcsOperationId.For("ntf-1", 1));
        Assert.Equal('5', AcsOperationId.For("ntf-1", 1).ToString()[14]);
    }

    [Fact]
    public void Sender_WithNeitherTokenCredentialNorAccessKey_IsRefused()
    {
        var options = new AcsEmailOptions { Endpoint = new Uri("https://acs.example.test"), SenderAddress = "a@b.test" };

        Assert.Throws<InvalidOperationException>(() => new AcsEmailSender(http, Options.Create(options), time, NullLogger<AcsEmailSender>.Instance));
    }

    [Theory]
    [InlineData("http://acs.example.test", "a2V5")]
    [InlineData("https://acs.example.test", "not base64!")]
    public void Options_Unusable_AreReported(string endpoint, string key)
    {
        var options = new AcsEmailOptions { Endpoint = new Uri(endpoint), AccessKey = key, SenderAddress = "a@b.test" };

        Assert.Single(options.Validate());
        Assert.Throws<InvalidOperationException>(() => new AcsEmailSender(http, Options.Create(options), time, NullLogger<AcsEmailSender>.Instance));
    }

    /// <summary>A TokenCredential that hands out one token and records the scopes asked for.</summary>
    private sealed class RecordingCredential(string token) : Azure.Core.TokenCredential
    {
        public List<string[]> Requests { get; } = [];

        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (Requests)
            {
                Requests.Add(requestContext.Scopes);
            }

            return new Azure.Core.AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
