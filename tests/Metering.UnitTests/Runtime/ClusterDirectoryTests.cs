using Metering.Runtime;

namespace Metering.UnitTests.Runtime;

public sealed class ClusterDirectoryTests
{
    [Fact]
    public async Task An_owner_without_an_address_yet_is_no_owner_to_route_to_and_a_call_to_it_waits_for_one()
    {
        var directory = new ClusterDirectory(_ => Task.FromResult<(int, IReadOnlyList<PartitionOwner>)>((2, [new(0, "a", "http://127.0.0.1:9", 1), new(1, "b", "", 1)])));
        await directory.RefreshAsync();
        Assert.Equal("a", directory.OwnerOf(0)?.SiloId);
        Assert.Null(directory.OwnerOf(1));
        Assert.False(directory.Covers);

        using var invoker = new RemoteGrainInvoker(directory, new ClusterCredential("s"), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var reference = new GrainReference(new GrainId(typeof(ICounterGrain), "k"), 1, localOnly: false);
        MethodDescriptor method = MethodDescriptor.For(typeof(ICounterGrain).GetMethod(nameof(ICounterGrain.IncrementAsync))!);
        var error = await Assert.ThrowsAsync<ClusterUnavailableException>(() => ((IGrainCallInvoker)invoker).InvokeAsync<int>(reference, method, [1]));
        Assert.Contains("has no owner now", error.InnerException?.Message);
    }
}
