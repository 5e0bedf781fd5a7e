using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NodaTime;
using NodaTime.Testing;
using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Payments;

namespace PayConnect.Adapters.Tests.Payments;

/// <summary>
/// Stripe webhook deliveries as Stripe documents them (docs.stripe.com/webhooks/signature: <c>Stripe-Signature:
/// t=…,v1=hex(HMAC-SHA256(secret, "t.payload"))</c>, 300 s tolerance; event objects from the API reference), signed here
/// with a test secret by an HMAC of the test's own, and read by the adapter through Stripe.net's EventUtility.
/// </summary>
public class StripeGatewayEventsReaderTests
{
    private const string Secret = "whsec_test_5f0c2d1e9a8b7c6d";
    private static readonly Instant Now = Instant.FromUtc(2026, 3, 9, 15, 0);

    private readonly StripeEventReader reader = new("stripe", Secret, new FakeClock(Now));

    [Fact]
    public void RefundEvent_SignedWithTheSecret_IsReadWithOurKeyFromItsMetadata()
    {
        var payload = Event("evt_1R", "refund.updated", """
            {"id":"re_1","object":"refund","amount":10000,"currency":"usd","payment_intent":"pi_1","charge":"ch_1","status":"succeeded",
             "metadata":{"payconnect_refund_key":"refund/abc"},"created":1772982000}
            """);

        var read = Assert.IsType<GatewayEventRead.Verified>(reader.Read(payload, Sign(payload, Secret, Now)));

        var refund = Assert.IsType<RefundChanged>(read.Event);
        Assert.Equal(("evt_1R", "pi_1", "re_1", 10000L, "USD", GatewayRefundStatus.Succeeded, "refund/abc"),
            (refund.EventId, refund.ChargeId, refund.RefundId, refund.Amount.Minor, refund.Amount.Currency, refund.Status, refund.RefundKey));
    }

    [Fact]
    public void Delivery_SignedWithAnotherSecret_TamperedWith_Unsigned_OrTooOld_IsRefused()
    {
        var payload = Event("evt_1R", "refund.updated", """{"id":"re_1","object":"refund","amount":10000,"currency":"usd","payment_intent":"pi_1","status":"succeeded"}""");

        Assert.IsType<GatewayEventRead.Refused>(reader.Read(payload, Sign(payload, "whsec_someone_else", Now)));
        Assert.IsType<GatewayEventRead.Refused>(reader.Read(payload.Replace("10000", "99999", StringComparison.Ordinal), Sign(payload, Secret, Now)));
        Assert.IsType<GatewayEventRead.Refused>(reader.Read(payload, null));
        Assert.IsType<GatewayEventRead.Refused>(reader.Read(payload, Sign(payload, Secret, Now - Duration.FromSeconds(301))));
        Assert.IsType<GatewayEventRead.Verified>(reader.Read(payload, Sign(payload, Secret, Now - Duration.FromSeconds(299))));
    }

    [Fact]
    public void WithoutAConfiguredSecret_EveryDeliveryIsRefused()
    {
        var payload = Event("evt_1R", "refund.updated", """{"id":"re_1","object":"refund","amount":1,"currency":"usd","payment_intent":"pi_1","status":"succeeded"}""");

        Assert.IsType<GatewayEventRead.Refused>(new StripeEventReader("stripe", null, new FakeClock(Now)).Read(payload, Sign(payload, Secret, Now)));
    }

    [Theory]
    [InlineData("charge.dispute.created", "needs_response", false, false)]
    [InlineData("charge.dispute.updated", "under_review", false, false)]
    [InlineData("charge.dispute.closed", "won", true, true)]
    [InlineData("charge.dispute.closed", "lost", true, false)]
    [InlineData("charge.dispute.closed", "warning_closed", true, true)]
    public void DisputeEvents_AreReadAsOpenOrDecided_WithTheFeeFromTheirBalanceTransactions(string type, string status, bool closed, bool won)
    {
        var payload = Event("evt_1D", type, $$"""
            {"id":"dp_1","object":"dispute","amount":150025,"currency":"usd","payment_intent":"pi_1","charge":"ch_1","status":"{{status}}","reason":"fraudulent",
             "balance_transactions":[{"id":"txn_1","object":"balance_transaction","amount":-151525,"fee":1500,"net":-151525,"currency":"usd","type":"adjustment"}]}
            """);

        var read = Assert.IsType<GatewayEventRead.Verified>(reader.Read(payload, Sign(payload, Secret, Now)));

        var dispute = Assert.IsType<DisputeChanged>(read.Event);
        Assert.Equal(("pi_1", "dp_1", 150025L, closed, won, "fraudulent", 1500L), (dispute.ChargeId, dispute.DisputeId, dispute.Amount.Minor, dispute.Closed, dispute.Won, dispute.Reason, dispute.Fee.Minor));
    }

    [Theory]
    [InlineData("R01", "insufficient_funds", "R01")]
    [InlineData(null, "insufficient_funds", "R01")]
    [InlineData(null, "bank_account_closed", "R02")]
    [InlineData(null, "debit_not_authorized", "R10")]
    [InlineData("R29", "debit_not_authorized", "R29")]
    public void FailedBankDebit_IsAnAchReturn_WithTheNachaCode(string? networkCode, string declineCode, string expected)
    {
        var network = networkCode is null ? string.Empty : $",\"network_decline_code\":\"{networkCode}\"";
        var payload = Event("evt_1A", "payment_intent.payment_failed", $$"""
            {"id":"pi_1","object":"payment_intent","amount":150025,"currency":"usd","status":"requires_payment_method","payment_method_types":["us_bank_account"],
             "last_payment_error":{"type":"invalid_request_error","code":"payment_method_provider_decline","decline_code":"{{declineCode}}"{{network}}} }
            """);

        var read = Assert.IsType<GatewayEventRead.Verified>(reader.Read(payload, Sign(payload, Secret, Now)));

        Assert.Equal(expected, Assert.IsType<AchReturned>(read.Event).ReturnCode);
    }

    [Fact]
    public void SucceededBankDebit_IsASettlement_ButASucceededCardPaymentIsNotActedOn()
    {
        var ach = Event("evt_1S", "payment_intent.succeeded", """{"id":"pi_1","object":"payment_intent","amount":1,"currency":"usd","status":"succeeded","payment_method_types":["us_bank_account"]}""");
        var card = Event("evt_1C", "payment_intent.succeeded", """{"id":"pi_2","object":"payment_intent","amount":1,"currency":"usd","status":"succeeded","payment_method_types":["card"]}""");

        Assert.IsType<AchSettled>(Assert.IsType<GatewayEventRead.Verified>(reader.Read(ach, Sign(ach, Secret, Now))).Event);
        var ignored = Assert.IsType<GatewayEventRead.Verified>(reader.Read(card, Sign(card, Secret, Now)));
        Assert.Null(ignored.Event);
        Assert.Equal("evt_1C", ignored.EventId);
    }

    private static string Event(string id, string type, string dataObject) =>
        $$"""{"id":"{{id}}","object":"event","api_version":"2024-06-20","created":{{Now.ToUnixTimeSeconds()}},"livemode":false,"pending_webhooks":1,"type":"{{type}}","data":{"object":{{dataObject.Trim()}}} }""";

    /// <summary>Stripe's scheme, computed independently of the code under test.</summary>
    private static string Sign(string payload, string secret, Instant at)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        return $"t={t},v1={Convert.ToHexString(hmac.ComputeHash(Encoding.UTF8.GetBytes(t + "." + payload))).ToLowerInvariant()}";
    }
}
