namespace PayConnect.Tests;

public class MoneyTests
{
    [Fact]
    public void Money_WithSameMinorAndCurrency_IsEqual()
    {
        Assert.Equal(new Money(1250, "USD"), new Money(1250, "USD"));
        Assert.NotEqual(new Money(1250, "USD"), new Money(1250, "CAD"));
    }
}
