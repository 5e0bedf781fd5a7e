using System.Security.Cryptography;
using System.Text;
using NodaTime;
using PayConnect.Functions.Http;
using PayConnect.Integration.Tests.Infrastructure;
using PayConnect.Storage;

namespace PayConnect.Integration.Tests.Api;

[Collection(EmulatorCollection.Name)]
public sealed class IdempotencyTests(Emulators emulators) : ConnectApiTestBase(emulators)
{
    [Fact]
    public async Task IdempotencyKey_LeftInProgressByADeadProcess_IsRefusedFor5Minutes_ThenFreeAgain()
    {
        const string key = "create-payer-after-a-crash";
        var path = $"/api/firms/{FirmA}/payers";
        var headers = new Dictionary<string, string> { ["Idempotency-Key"] = key };

        // What a process that died in the middle of the request leaves behind: the key's record, still in progress.
        await Host.Get<IRecordStore>().InsertAsync(FirmA,
            new IdempotencyRecord(RecordKey("POST", path, key), "the body the dead request had", null, null, null, null, Host.Clock.GetCurrentInstant()),
            CancellationToken.None);

        var meanwhile = await Client.Post(path, new { name = "After The Crash" }, headers);
        Host.Clock.Advance(Duration.FromMinutes(5) - Duration.FromSeconds(1));
        var justBefore = await Client.Post(path, new { name = "After The Crash" }, headers);
        Host.Clock.Advance(Duration.FromSeconds(1));
        var after = await Client.Post(path, new { name = "After The Crash" }, headers);
        var repeat = await Client.Post(path, new { name = "After The Crash" }, headers);

        Assert.Equal(409, meanwhile.Status);
        Assert.Equal(409, justBefore.Status);
        Assert.True(after.Status == 201, after.ToString());
        Assert.Equal(201, repeat.Status);
        Assert.Equal("true", repeat.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(after.Json!["id"]!.GetValue<string>(), repeat.Json!["id"]!.GetValue<string>());
        var payers = Ok(await Client.Get(path), 200).Json!["items"]!.AsArray();
        Assert.Single(payers, p => p!["name"]!.GetValue<string>() == "After The Crash");
    }

    /// <summary>The key under which the pipeline keeps an Idempotency-Key's first result (method, path and key, hashed).</summary>
    private static string RecordKey(string method, string path, string key) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(method + " " + path + " " + key)));
}
