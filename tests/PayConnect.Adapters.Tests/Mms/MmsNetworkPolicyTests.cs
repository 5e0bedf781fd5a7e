using System.Net;
using PayConnect.Infrastructure.Mms;

namespace PayConnect.Adapters.Tests.Mms;

/// <summary>Which addresses a firm-configured MMS endpoint may resolve to. Pure: nothing is connected to.</summary>
public sealed class MmsNetworkPolicyTests
{
    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.10")]
    [InlineData("169.254.169.254")] // the cloud instance metadata endpoint
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("fe80::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("::ffff:10.0.0.1")]
    public void PrivateLinkLocalAndReservedAddresses_AreRefused(string address)
    {
        Assert.False(new MmsNetworkPolicy(AllowLoopback: true).IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700::1111")]
    public void PublicAddresses_AreAllowed(string address)
    {
        Assert.True(new MmsNetworkPolicy(AllowLoopback: false).IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Loopback_IsAllowedOnlyWhenThePolicySaysSo(string address)
    {
        Assert.True(new MmsNetworkPolicy(AllowLoopback: true).IsAllowed(IPAddress.Parse(address)));
        Assert.False(new MmsNetworkPolicy(AllowLoopback: false).IsAllowed(IPAddress.Parse(address)));
    }
}
