# The lock service's images, built from this repository: the silo (target `silo`) and the demo client (target `demo`).
#
#   docker build --target silo -t lock-service/silo .
#   docker build --target demo -t lock-service/demo .
#
# docker-compose.yml builds both; see docs/cluster.md.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first, so the package restore is cached until a project or a package version changes.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/LockContracts/LockContracts.csproj src/LockContracts/
COPY src/LeaseCore/LeaseCore.csproj src/LeaseCore/
COPY src/LockGrains/LockGrains.csproj src/LockGrains/
COPY src/SemaphoreGrains/SemaphoreGrains.csproj src/SemaphoreGrains/
COPY src/QueueGrains/QueueGrains.csproj src/QueueGrains/
COPY src/BatchedStorage/BatchedStorage.csproj src/BatchedStorage/
COPY src/LockHttp/LockHttp.csproj src/LockHttp/
COPY src/LockSilo/LockSilo.csproj src/LockSilo/
COPY src/LockClient/LockClient.csproj src/LockClient/
COPY src/LockDemo/LockDemo.csproj src/LockDemo/
RUN dotnet restore src/LockSilo/LockSilo.csproj && dotnet restore src/LockDemo/LockDemo.csproj
COPY src/ src/
RUN dotnet publish src/LockSilo/LockSilo.csproj -c Release --no-restore -o /out/silo \
 && dotnet publish src/LockDemo/LockDemo.csproj -c Release --no-restore -o /out/demo

# The silo: options come from LOCKSILO_* environment variables or --options (src/LockSilo/LockSiloOptions.cs).
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS silo
WORKDIR /app
COPY --from=build /out/silo ./
# Silo-to-silo traffic, client gateway and HTTP API; docker-compose.yml sets the ports of each silo.
EXPOSE 11111 30000 8081
# SIGTERM (docker stop) makes the silo leave the cluster gracefully; give it the time it needs.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "LockSilo.dll"]

# The demo client: the seed scenarios against the gateways in LOCKCTL_GATEWAYS.
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS demo
WORKDIR /app
COPY --from=build /out/demo ./
ENTRYPOINT ["dotnet", "LockDemo.dll"]
