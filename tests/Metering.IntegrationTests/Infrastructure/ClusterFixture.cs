namespace Metering.IntegrationTests.Infrastructure;

/// <summary>A 3-silo cluster of separate processes on one database, shared by the tests that leave it whole.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public SiloCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await SiloCluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    // Cluster tests run one at a time: each starts silo processes of its own, and the machine has two cores.
    public const string Name = "cluster";
}
