using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;
using NodaTime.Testing;
using PayConnect.Functions;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Storage;

namespace PayConnect.Integration.Tests.Infrastructure;

/// <summary>
/// The functions' own DI registration (AddPayConnectFunctions) over the real emulators, with tables isolated by a
/// unique prefix and a fake clock. Settings are given by app-setting name and keyed as the worker's environment keys
/// them (<see cref="AppSettingsConfiguration"/>). Function classes are created from it exactly as the worker does.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    public TestHost(Emulators emulators, Action<Dictionary<string, string?>>? settings = null, Action<IServiceCollection>? services = null, Action<IServiceCollection>? replace = null)
    {
        TablePrefix = "t" + Guid.NewGuid().ToString("N")[..10];
        var values = new Dictionary<string, string?>
        {
            [AppSettings.StorageConnectionString] = emulators.Azurite.ConnectionString,
            [AppSettings.ServiceBusConnectionString] = emulators.ServiceBusConnectionString,
            [AppSettings.ServiceBusRunsQueue] = emulators.AddRunsQueue(TablePrefix + "-runs"),
            [AppSettings.AuthMode] = "AppServiceAuthentication",
            [AppSettings.GatewayKind] = "Sandbox",
            [AppSettings.EmailTransport] = "Sink",
            [AppSettings.EmailSenderAddress] = "DoNotReply@payconnect.test",
            [AppSettings.EmailSinkDirectory] = Path.Combine(Path.GetTempPath(), "payconnect-mail", TablePrefix),
            [AppSettings.NotificationsUnsubscribeKey] = "integration-tests-unsubscribe-signing-key-" + TablePrefix,
        };
        settings?.Invoke(values);
        Settings = values;

        // App settings reach the worker as environment variables; configure the functions the same way.
        Configuration = new ConfigurationBuilder().AddAppSettings(values).Build();
        Clock = new FakeClock(Instant.FromUtc(2026, 3, 2, 15, 0));

        var collection = new ServiceCollection();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        collection.AddSingleton<IConfiguration>(Configuration);
        collection.AddSingleton<IClock>(Clock);
        collection.AddSingleton(new TableStorage(emulators.Azurite.CreateServiceClient(), TablePrefix));

        // Every fake in these tests (a firm's MMS endpoint included) listens on loopback.
        collection.AddSingleton(new PayConnect.Infrastructure.Mms.MmsNetworkPolicy(AllowLoopback: true));
        services?.Invoke(collection);
        collection.AddPayConnectFunctions();

        // Replacements of registrations AddPayConnectFunctions makes unconditionally (the gateway): the last one wins.
        replace?.Invoke(collection);
        _provider = collection.BuildServiceProvider();
    }

    public string TablePrefix { get; }

    /// <summary>The app settings this host was given, by their app-setting names (<c>Email__SinkDirectory</c>).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    public IConfiguration Configuration { get; }

    public FakeClock Clock { get; }

    public IServiceProvider Services => _provider;

    public T Get<T>()
        where T : notnull => _provider.GetRequiredService<T>();

    /// <summary>Creates a function class the way the worker does: constructor injection from the container.</summary>
    public T Function<T>()
        where T : class => ActivatorUtilities.CreateInstance<T>(_provider);

    public object Function(Type type) => ActivatorUtilities.CreateInstance(_provider, type);

    /// <summary>Every entity of every table this host created: a snapshot to prove a request changed nothing.</summary>
    public async Task<string> SnapshotAsync()
    {
        var service = Get<TableStorage>().Service;
        var lines = new List<string>();
        await foreach (var table in service.QueryAsync(t => t.Name.CompareTo(TablePrefix) >= 0))
        {
            if (!table.Name.StartsWith(TablePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            await foreach (var entity in service.GetTableClient(table.Name).QueryAsync<Azure.Data.Tables.TableEntity>())
            {
                lines.Add($"{table.Name}|{entity.PartitionKey}|{entity.RowKey}|{entity.ETag}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines);
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}

/// <summary>Builds HttpRequest objects for calling HTTP function methods directly.</summary>
public static class Requests
{
    public static HttpRequest Create(string method, string path, object? body = null, IDictionary<string, string>? headers = null, IServiceProvider? services = null)
    {
        var context = new DefaultHttpContext();
        if (services is not null)
        {
            context.RequestServices = services;
        }

        var request = context.Request;
        request.Method = method;
        var queryAt = path.IndexOf('?', StringComparison.Ordinal);
        request.Path = queryAt < 0 ? path : path[..queryAt];
        if (queryAt >= 0)
        {
            request.QueryString = new QueryString(path[queryAt..]);
        }

        request.Scheme = "http";
        request.Host = new HostString("localhost", 7071);
        if (body is not null)
        {
            var bytes = body is string raw ? Encoding.UTF8.GetBytes(raw) : JsonSerializer.SerializeToUtf8Bytes(body);
            request.Body = new MemoryStream(bytes);
            request.ContentLength = bytes.Length;
            request.ContentType = "application/json";
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers[name] = value;
        }

        context.Response.Body = new MemoryStream();
        return request;
    }
}
