using PayConnect.Notifications;

namespace PayConnect.Tests.Notifications;

public class EmailMessageTests
{
    private static readonly EmailAddress[] To = [new("a@firm.test")];

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("line\nbreak")]
    public void Constructor_UnusableMessageId_IsRefused(string id)
    {
        Assert.Throws<ArgumentException>(() => new EmailMessage(id, To, "s", "t", "h"));
    }

    [Fact]
    public void Constructor_MessageIdWithSlashes_IsAccepted()
    {
        Assert.Equal("firm/sch/2026-03-01/a@firm.test", new EmailMessage("firm/sch/2026-03-01/a@firm.test", To, "s", "t", "h").MessageId);
    }

    [Fact]
    public void Constructor_NoRecipients_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new EmailMessage("id", [], "s", "t", "h"));
    }

    [Fact]
    public void Constructor_LineBreakInSubject_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new EmailMessage("id", To, "a\r\nBcc: x@y.test", "t", "h"));
    }

    [Theory]
    [InlineData("no-at-sign")]
    [InlineData("a b@firm.test")]
    [InlineData(" ")]
    public void EmailAddress_Malformed_IsRefused(string address)
    {
        Assert.Throws<ArgumentException>(() => new EmailAddress(address));
    }

    [Fact]
    public void EmailAddress_LineBreakInDisplayName_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new EmailAddress("a@firm.test", "A\nBcc: x@y.test"));
    }

    [Fact]
    public void Constructor_CopiesRecipients()
    {
        var list = new List<EmailAddress> { new("a@firm.test") };
        var message = new EmailMessage("id", list, "s", "t", "h");
        list.Add(new EmailAddress("b@firm.test"));

        Assert.Single(message.To);
    }
}
