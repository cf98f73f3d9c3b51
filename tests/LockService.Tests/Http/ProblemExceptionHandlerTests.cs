using System.Text.Json;
using LockService.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LockService.Tests.Http;

/// <summary>
/// The 500 path of the HTTP API: an exception nobody expected becomes an RFC 9457 problem of type <c>internal</c> that
/// names no detail of it (no message, no type, no stack trace), and the exception goes to the silo's log instead.
/// </summary>
public sealed class ProblemExceptionHandlerTests
{
    [Fact]
    public async Task An_unexpected_exception_is_a_500_problem_that_shows_none_of_it_and_is_logged()
    {
        var secret = $"connection string Password=hunter2-{Guid.NewGuid():N}";
        var log = new RecordingLogger();
        var context = NewContext();

        Exception thrown;
        try
        {
            throw new InvalidOperationException(secret);
        }
        catch (InvalidOperationException exception)
        {
            thrown = exception;
        }

        Assert.True(await new ProblemExceptionHandler(log).TryHandleAsync(context, thrown, CancellationToken.None));

        Assert.Equal(StatusCodes.Status500InternalServerError, context.Response.StatusCode);
        Assert.StartsWith("application/problem+json", context.Response.ContentType);
        var body = ReadBody(context);
        using var problem = JsonDocument.Parse(body);
        Assert.EndsWith("/internal", problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(500, problem.RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain("hunter2", body);
        Assert.DoesNotContain(nameof(InvalidOperationException), body);
        Assert.DoesNotContain(nameof(An_unexpected_exception_is_a_500_problem_that_shows_none_of_it_and_is_logged), body);

        var entry = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Same(thrown, entry.Exception);
    }

    [Fact]
    public async Task A_client_that_left_gets_no_answer_and_nothing_is_logged()
    {
        var log = new RecordingLogger();
        var context = NewContext();
        using var left = new CancellationTokenSource();
        left.Cancel();
        context.RequestAborted = left.Token;

        Assert.True(await new ProblemExceptionHandler(log).TryHandleAsync(context, new OperationCanceledException(left.Token), CancellationToken.None));

        Assert.Equal("", ReadBody(context));
        Assert.Empty(log.Entries);
    }

    private static DefaultHttpContext NewContext()
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "POST";
        context.Request.Path = "/v1/locks/some-lock/acquire";
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static string ReadBody(HttpContext context)
    {
        context.Response.Body.Position = 0;
        return new StreamReader(context.Response.Body).ReadToEnd();
    }

    private sealed class RecordingLogger : ILogger<ProblemExceptionHandler>
    {
        public List<(LogLevel Level, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => NullLogger.Instance.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, exception));
    }
}
