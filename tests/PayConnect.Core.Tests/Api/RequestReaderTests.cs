using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;
using PayConnect.Firms;
using PayConnect.Payers;
using PayConnect.Payments;

namespace PayConnect.Tests.Api;

public class RequestReaderTests
{
    [Fact]
    public async Task Read_AValidBody_BindsTheRecordWithTrimmedStringsAndDefaults()
    {
        var errors = new FieldErrors();

        var request = await Read<PutFirmSettingsRequest>("""{"name":"  Smith & Jones LLP ","timeZone":"America/Chicago","mmsConnector":"mirror"}""", errors);

        Assert.False(errors.Any);
        Assert.Equal(new PutFirmSettingsRequest("Smith & Jones LLP", "America/Chicago", "USD", MmsConnectorKind.Mirror), request);
    }

    [Theory]
    [InlineData("""{"name":"A","name":"B"}""", "name")]
    [InlineData("""{"name":"A","NAME":"B"}""", "NAME")]
    [InlineData("""{"items":[{"level":"Client","number":"C-1","number":"C-2"}]}""", "items[0].number")]
    public async Task Read_APropertyGivenTwice_IsAFieldErrorNotAnException(string body, string field)
    {
        var errors = new FieldErrors();

        Assert.Null(body.Contains("items", StringComparison.Ordinal)
            ? await Read<CreateAssociationsRequest>(body, errors)
            : (object?)await Read<CreatePayerRequest>(body, errors));
        Assert.Equal(["Appears more than once; send each property once."], errors.ToDictionary()[field]);
    }

    [Fact]
    public async Task Read_EveryProblem_IsReportedAtOnce()
    {
        var errors = new FieldErrors();

        var request = await Read<CreatePaymentMethodRequest>(
            """{"kind":"Card","token":12,"displayName":"","last4":"12a4","expiryMonth":13,"expiryYear":"2030","cvv":"123","colour":"red"}""", errors);

        Assert.Null(request);
        var all = errors.ToDictionary();
        Assert.Equal(["Must be a string."], all["token"]);
        Assert.Equal(["Must not be empty."], all["displayName"]);
        Assert.Equal(["Must be 4 digits."], all["last4"]);
        Assert.Equal(["Must be between 1 and 12."], all["expiryMonth"]);
        Assert.Equal(["Must be a whole number."], all["expiryYear"]);
        Assert.Equal(["Card numbers and security codes are never accepted; send the gateway's token."], all["cvv"]);
        Assert.Equal(["Is not a field of this request."], all["colour"]);
        Assert.Equal(7, all.Count);
    }

    [Fact]
    public async Task Read_AnInvalidEnum_DoesNotAlsoReportErrorsThatOnlyAGuessedValueWouldCause()
    {
        var errors = new FieldErrors();

        await Read<CreatePaymentMethodRequest>("""{"kind":"Cheque","token":"pm_sandbox_approve","displayName":"X","last4":"1111"}""", errors);

        Assert.Equal(["kind"], errors.ToDictionary().Keys);
        Assert.Equal(["Must be one of: Card, Ach."], errors.ToDictionary()["kind"]);
    }

    [Theory]
    [InlineData("""{}""", "name", "Is required.")]
    [InlineData("""{"name":null}""", "name", "Is required.")]
    [InlineData("""{"name":"P","email":null,"extra":1}""", "extra", "Is not a field of this request.")]
    [InlineData("""[1,2]""", "body", "The body must be a JSON object.")]
    [InlineData("""{"name": """, "body", "The body is not valid JSON.")]
    [InlineData("""{"name":"P","email":"<ap@acme.test>"}""", "email", "Must be a plain email address such as name@example.com (no display name, brackets or quotes).")]
    [InlineData("""{"name":"Acme 4111.1111.1111.1111"}""", "name", "Must not contain a card or account number.")]
    public async Task Read_ABadBody_NamesTheField(string body, string field, string message)
    {
        var errors = new FieldErrors();

        Assert.Null(await Read<CreatePayerRequest>(body, errors));
        Assert.Equal([message], errors.ToDictionary()[field]);
    }

    [Fact]
    public async Task Read_ItemErrors_OfTypeAndOfValue_AreReportedTogetherWithTheItemsIndex()
    {
        var errors = new FieldErrors();

        await Read<CreateAssociationsRequest>("""{"items":[{"level":"Client","number":"C-1"},{"level":"Firm","number":"C-2"},{"level":"Client","number":""},{"level":"Client","number":"c-1"}]}""", errors);

        var all = errors.ToDictionary();
        Assert.Equal(["Must be one of: Client, Matter, Invoice."], all["items[1].level"]);
        Assert.Equal(["Must not be empty."], all["items[2].number"]);
        Assert.Equal(["Appears more than once in this request."], all["items[3]"]);
        Assert.Equal(3, all.Count);
    }

    [Theory]
    [InlineData("Items[0].Level", "items[0].level")]
    [InlineData("Name", "name")]
    [InlineData("If-Match", "If-Match")]
    [InlineData("", "body")]
    public void JsonPath_OfAValidatorPropertyChain_IsTheBodysPath(string chain, string path) =>
        Assert.Equal(path, RequestReader.JsonPath(chain));

    private static Task<T?> Read<T>(string body, FieldErrors errors)
        where T : class => RequestReader.ReadAsync(body, Validator<T>(), errors, CancellationToken.None);

    private static FluentValidation.IValidator<T> Validator<T>() => (FluentValidation.IValidator<T>)(typeof(T).Name switch
    {
        nameof(PutFirmSettingsRequest) => new PutFirmSettingsRequestValidator(),
        nameof(CreatePayerRequest) => new CreatePayerRequestValidator(),
        nameof(CreateAssociationsRequest) => new CreateAssociationsRequestValidator(),
        nameof(CreatePaymentMethodRequest) => (object)new CreatePaymentMethodRequestValidator(new SandboxShape()),
        _ => throw new ArgumentException(typeof(T).Name),
    });

    private sealed class SandboxShape : IPaymentTokenFormat
    {
        public string Expected => "pm_sandbox_…";

        public bool IsWellFormed(string token) => token.StartsWith("pm_sandbox_", StringComparison.Ordinal);
    }
}
