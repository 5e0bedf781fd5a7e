using NodaTime;
using PayConnect.Allocation;

namespace PayConnect.Tests.Allocation;

internal static class Usd
{
    public static Money Of(long minor) => new(minor, "USD");
}

/// <summary>Builds MMS invoices for tests; defaults are a plain USD invoice dated 2025-01-01.</summary>
internal sealed class InvoiceBuilder
{
    private string id = "inv-1";
    private string number = "1001";
    private string client = "C1";
    private string matter = "M1";
    private LocalDate invoiceDate = new(2025, 1, 1);
    private LocalDate? dueDate;
    private Money outstanding = Usd.Of(10_000);

    public static InvoiceBuilder Invoice(string id) => new InvoiceBuilder().WithId(id);

    public InvoiceBuilder WithId(string value)
    {
        id = value;
        number = value;
        return this;
    }

    public InvoiceBuilder Numbered(string value)
    {
        number = value;
        return this;
    }

    public InvoiceBuilder DatedOn(int year, int month, int day)
    {
        invoiceDate = new LocalDate(year, month, day);
        return this;
    }

    public InvoiceBuilder DueOn(int year, int month, int day)
    {
        dueDate = new LocalDate(year, month, day);
        return this;
    }

    public InvoiceBuilder Owing(long minor, string currency = "USD")
    {
        outstanding = new Money(minor, currency);
        return this;
    }

    public InvoiceBuilder ForMatter(string clientId, string matterId)
    {
        client = clientId;
        matter = matterId;
        return this;
    }

    public OutstandingInvoice Build() =>
        new(id, number, client, matter, invoiceDate, dueDate ?? invoiceDate.PlusDays(30), outstanding);
}
