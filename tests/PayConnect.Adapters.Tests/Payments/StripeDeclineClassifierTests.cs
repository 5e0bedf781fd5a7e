using PayConnect.Infrastructure.Payments.Stripe;
using PayConnect.Payments;

namespace PayConnect.Adapters.Tests.Payments;

public class StripeDeclineClassifierTests
{
    [Theory]
    [InlineData("insufficient_funds", null, DeclineKind.Soft)]
    [InlineData("processing_error", null, DeclineKind.Soft)]
    [InlineData("try_again_later", null, DeclineKind.Soft)]
    [InlineData("do_not_honor", null, DeclineKind.Soft)]
    [InlineData("do_not_honor", "try_again_later", DeclineKind.Soft)]
    [InlineData("do_not_honor", "do_not_try_again", DeclineKind.Hard)]
    [InlineData("generic_decline", "confirm_card_data", DeclineKind.Hard)]
    [InlineData("stolen_card", "try_again_later", DeclineKind.Hard)]
    [InlineData("lost_card", null, DeclineKind.Hard)]
    [InlineData("pickup_card", null, DeclineKind.Hard)]
    [InlineData("expired_card", null, DeclineKind.Hard)]
    [InlineData("invalid_account", null, DeclineKind.Hard)]
    [InlineData("authentication_required", null, DeclineKind.Hard)]
    [InlineData("offline_pin_required", null, DeclineKind.Hard)]
    [InlineData("online_or_offline_pin_required", null, DeclineKind.Hard)]
    [InlineData("online_or_offline_pin_required", "try_again_later", DeclineKind.Hard)]
    [InlineData("card_decline_rate_limit_exceeded", null, DeclineKind.Soft)]
    [InlineData("card_decline_rate_limit_exceeded", "do_not_try_again", DeclineKind.Hard)]
    [InlineData("a_code_stripe_adds_next_year", null, DeclineKind.Hard)]
    [InlineData(null, null, DeclineKind.Hard)]
    public void Classify_FollowsDeclineAndAdviceCodes(string? declineCode, string? adviceCode, DeclineKind expected)
    {
        Assert.Equal(expected, StripeDeclineClassifier.Classify(declineCode, adviceCode));
    }

    [Fact]
    public void SoftAndHardCodes_DoNotOverlap()
    {
        Assert.Empty(StripeDeclineClassifier.SoftCodes.Intersect(StripeDeclineClassifier.HardCodes));
    }
}
