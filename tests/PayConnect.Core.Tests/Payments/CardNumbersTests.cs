using CsCheck;
using PayConnect.Payments;

namespace PayConnect.Tests.Payments;

public class CardNumbersTests
{
    // Luhn-valid test numbers of 13 to 19 digits (Visa 13 and 16, Amex 15, Diners 14, UnionPay 19).
    private static readonly string[] CardNumbers_ = ["4222222222222", "30569309025904", "378282246310005", "4111111111111111", "6212345678901265", "6250941006528599"];

    [Theory]
    [InlineData("4111111111111111")]
    [InlineData("4111 1111 1111 1111")]
    [InlineData("4111-1111-1111-1111")]
    [InlineData("4111.1111.1111.1111")]
    [InlineData("4111/1111/1111/1111")]
    [InlineData("4111_1111_1111_1111")]
    [InlineData("4111,1111,1111,1111")]
    [InlineData("4111 - 1111 / 1111 . 1111")]
    [InlineData("(4111)(1111)(1111)(1111)")]
    [InlineData("4111\t1111\n1111\u00a01111")]
    [InlineData("４１１１ １１１１ １１１１ １１１１")]
    [InlineData("Acme Holdings, card 4111.1111.1111.1111 exp 12/30")]
    [InlineData("12-4111-1111-1111-1111-34")]
    [InlineData("pm_sandbox_approve.4111111111111111")]
    [InlineData("tok_378282246310005")]
    [InlineData("3782 822463 10005")]
    [InlineData("41111111111111112222")]
    public void Contains_ALuhnValidRunOf13To19Digits_WhateverSeparatesThem(string text) =>
        Assert.True(CardNumbers.Contains(text));

    [Theory]
    [InlineData("")]
    [InlineData("Acme Holdings AP")]
    [InlineData("4111111111111112")]
    [InlineData("411111111111")]
    [InlineData("INV 1001 and INV 1002")]
    [InlineData("Smith & Jones LLP, Suite 1200")]
    [InlineData("Invoice 4111 for 1111 matter 1111 of 1111")]
    [InlineData("pm_sandbox_approve")]
    [InlineData("cus_PayerOne|pm_1QxCardVisa")]
    [InlineData("2026-03-02")]
    public void Contains_TextWithoutACardNumber_IsFalse(string text) =>
        Assert.False(CardNumbers.Contains(text));

    [Fact]
    public void Contains_AnyTestCardNumber_SplitAnywhereByAnyNonLetterSeparators()
    {
        var separators = Gen.OneOf(" ", "-", ".", "/", "_", ",", " - ", "  ", "|", ":", "+", "*", "#", "\u2014", "\t");
        Gen.Select(Gen.OneOf(CardNumbers_), Gen.Int[1, 18].Array[0, 5], separators.Array[5], Gen.OneOf("", "Acme ", "Note: ", "ref "))
            .Sample((number, cuts, seps, prefix) =>
            {
                var positions = cuts.Where(c => c < number.Length).Distinct().Order().ToArray();
                var text = prefix;
                var from = 0;
                for (var i = 0; i < positions.Length; i++)
                {
                    text += number[from..positions[i]] + seps[i];
                    from = positions[i];
                }

                text += number[from..];
                return CardNumbers.Contains(text);
            });
    }

    [Fact]
    public void Contains_DigitsThatFailLuhn_AreNotACardNumber()
    {
        Gen.Long[1_000_000_000_000, 9_999_999_999_999_999].Where(n => !CardNumbers.PassesLuhn(n.ToString().Select(c => c - '0').ToList()))
            .Sample(n => !CardNumbers.Contains($"Ref {n}"));
    }
}
