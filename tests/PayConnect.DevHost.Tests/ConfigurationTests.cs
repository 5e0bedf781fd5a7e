using Microsoft.Extensions.Configuration;
using PayConnect.DevHost.Configuration;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Email;

namespace PayConnect.DevHost.Tests;

public sealed class ConfigurationTests
{
    private static readonly Dictionary<string, string?> None = [];

    [Fact]
    public void SettingsFile_IsReadBySectionPathOnly_AsTheWorkerSeesAppSettingsInAzure()
    {
        var file = new Dictionary<string, string?> { [AppSettings.ServiceBusRunsQueue] = "from-file" };

        var configuration = new ConfigurationBuilder().AddDevHostSettings(file, None, None).Build();

        Assert.Equal("from-file", configuration["ServiceBus:RunsQueue"]);
        Assert.Equal("from-file", configuration.GetSection("ServiceBus")["RunsQueue"]);
        Assert.Null(configuration[AppSettings.ServiceBusRunsQueue]);
    }

    [Fact]
    public void Environment_OverridesTheFile()
    {
        var file = new Dictionary<string, string?> { [AppSettings.ServiceBusRunsQueue] = "from-file" };
        var environment = new Dictionary<string, string?> { [AppSettings.ServiceBusRunsQueue] = "from-environment" };

        var configuration = new ConfigurationBuilder().AddDevHostSettings(file, None, environment).Build();

        Assert.Equal("from-environment", configuration["ServiceBus:RunsQueue"]);
        Assert.Null(configuration[AppSettings.ServiceBusRunsQueue]);
    }

    [Fact]
    public void HostProvidedValues_OverrideTheFileButNotTheEnvironment()
    {
        var file = new Dictionary<string, string?>
        {
            [AppSettings.StorageConnectionString] = "file-storage",
            [AppSettings.EmailSinkDirectory] = ".local/mail",
        };
        var host = new Dictionary<string, string?>
        {
            [AppSettings.StorageConnectionString] = "azurite-storage",
            [AppSettings.EmailSinkDirectory] = "/abs/.local/mail",
        };
        var environment = new Dictionary<string, string?> { [AppSettings.StorageConnectionString] = "environment-storage" };

        var configuration = new ConfigurationBuilder().AddDevHostSettings(file, host, environment).Build();

        Assert.Equal("environment-storage", configuration["Storage:ConnectionString"]);
        Assert.Equal("/abs/.local/mail", configuration["Email:SinkDirectory"]);
    }

    [Fact]
    public void Settings_BindToTheOptionsTheFunctionsRead()
    {
        var file = new Dictionary<string, string?>
        {
            [AppSettings.EmailTransport] = "Sink",
            [AppSettings.EmailSinkDirectory] = ".local/mail",
            [AppSettings.RunDrainMaxConcurrency] = "8",
        };

        var configuration = new ConfigurationBuilder().AddDevHostSettings(file, None, None).Build();

        Assert.Equal(EmailTransport.Sink, SettingsBinding.Read<EmailOptions>(configuration).Transport);
        Assert.Equal(".local/mail", SettingsBinding.Read<EmailOptions>(configuration).SinkDirectory);
        Assert.Equal(8, SettingsBinding.Read<PayConnect.Infrastructure.Messaging.RunDrainOptions>(configuration).MaxConcurrency);
    }

    [Fact]
    public void FromEnvironment_KeepsDoubleUnderscoreNamesAsTheyAre()
    {
        var environment = new System.Collections.Hashtable { ["Storage__ConnectionString"] = "x", ["PATH"] = "/bin" };

        var values = SettingNames.FromEnvironment(environment);

        Assert.Equal("x", values["Storage__ConnectionString"]);
        Assert.Equal("/bin", values["PATH"]);
    }

    [Fact]
    public void Load_PrefersLocalSettingsJsonOverTheSample()
    {
        var root = Directory.CreateTempSubdirectory("devhost-settings-");
        try
        {
            File.WriteAllText(Path.Combine(root.FullName, LocalSettings.SampleFileName), """{ "Values": { "Gateway__Kind": "Sandbox" } }""");
            Assert.True(LocalSettings.Load(root.FullName).IsSample);

            File.WriteAllText(Path.Combine(root.FullName, LocalSettings.FileName), """{ "IsEncrypted": false, "Values": { "Gateway__Kind": "Stripe", "RunDrain__MaxConcurrency": 8 } }""");
            var own = LocalSettings.Load(root.FullName);

            Assert.False(own.IsSample);
            Assert.Equal("Stripe", own.Values[AppSettings.GatewayKind]);
            Assert.Equal("8", own.Values[AppSettings.RunDrainMaxConcurrency]);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Sample_NamesEveryAppSettingTheDevHostFillsIn()
    {
        Assert.Contains(AppSettings.StorageConnectionString, TestFiles.Sample.Values.Keys);
        Assert.Contains(AppSettings.ServiceBusConnectionString, TestFiles.Sample.Values.Keys);
        Assert.Contains(AppSettings.EmailSinkDirectory, TestFiles.Sample.Values.Keys);
    }

    [Fact]
    public void Parse_Options_ReadsPortsFlagsAndRoot()
    {
        var options = DevHostOptions.Parse(["--port", "0", "--in-memory", "--azurite-port", "10102", "--no-emulators", "--root", "/tmp"]);

        Assert.Equal(0, options.Port);
        Assert.True(options.InMemory);
        Assert.Equal(10102, options.AzuritePort);
        Assert.False(options.StartEmulators);
        Assert.Equal("/tmp", options.RepositoryRoot);
        Assert.Equal(7071, DevHostOptions.Parse([]).Port);
    }

    [Theory]
    [InlineData("--port")]
    [InlineData("--port", "http")]
    [InlineData("--port", "70000")]
    [InlineData("--inmemory")]
    public void Parse_BadOption_FailsNamingIt(params string[] args)
    {
        var error = Assert.Throws<ArgumentException>(() => DevHostOptions.Parse(args));

        Assert.Contains(args[0], error.Message, StringComparison.Ordinal);
    }
}
