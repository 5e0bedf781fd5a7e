using PayConnect.Notifications;

namespace PayConnect.Tests.Notifications;

public class EmailAddressesTests
{
    [Theory]
    [InlineData("oncall@demo-firm.test")]
    [InlineData("first.last+autopay@firm.example.com")]
    [InlineData("o'brien@firm.ie")]
    public void IsPlain_AnAddressAlone_IsTrue(string address) => Assert.True(EmailAddresses.IsPlain(address));

    [Theory]
    [InlineData("<oncall2@demo-firm.test>")]
    [InlineData("\"x,y\"@demo-firm.test")]
    [InlineData("On Call <oncall@demo-firm.test>")]
    [InlineData("\"On Call\" <oncall@demo-firm.test>")]
    [InlineData("a@demo-firm.test, b@demo-firm.test")]
    [InlineData("a@demo-firm.test; b@demo-firm.test")]
    [InlineData("oncall(team)@demo-firm.test")]
    [InlineData("oncall@[127.0.0.1]")]
    [InlineData("oncall@localhost")]
    [InlineData(" oncall@demo-firm.test")]
    [InlineData("oncall@demo-firm.test\n")]
    [InlineData("a..b@demo-firm.test")]
    [InlineData("nobody")]
    [InlineData("")]
    public void IsPlain_AnythingElse_IsFalse(string address) => Assert.False(EmailAddresses.IsPlain(address));

    [Fact]
    public void EmailAddress_NotPlain_CannotBeARecipient()
    {
        Assert.Throws<ArgumentException>(() => new EmailAddress("<oncall2@demo-firm.test>"));
        Assert.Throws<ArgumentException>(() => new EmailAddress("\"x,y\"@demo-firm.test"));
    }
}
