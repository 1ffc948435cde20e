package dev.goldpan.operator.progress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;

/**
 * {@code POST /progress/{namespace}/{name}}: where worker pods report their progress, with the
 * service-account token projected into them for the audience {@value
 * ProgressAuthenticator#AUDIENCE}. 200 when written, 202 when coalesced into a later write, 400 for
 * a malformed body (only once the token is accepted), 401 for anything else: a missing or wrong
 * token, a pod that is not one of the job's workers, or a job that does not exist, all alike.
 */
@Path("/progress")
public class ProgressResource {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DENIED =
      "the token does not belong to a worker pod of this DistillationJob";

  private final ProgressService service;

  public ProgressResource(ProgressService service) {
    this.service = service;
  }

  @POST
  @Path("/{namespace}/{name}")
  @Consumes(MediaType.WILDCARD)
  @Produces(MediaType.APPLICATION_JSON)
  public Response report(
      @PathParam("namespace") String namespace,
      @PathParam("name") String name,
      @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
      String body) {
    String token = bearerToken(authorization);
    if (token == null) {
      return unauthorized(DENIED);
    }
    ProgressService.Outcome outcome;
    try {
      outcome = service.report(namespace, name, token, () -> parse(body));
    } catch (IllegalArgumentException e) {
      return error(Response.Status.BAD_REQUEST, e.getMessage());
    }
    return switch (outcome) {
      case APPLIED -> Response.ok(Map.of("applied", true)).build();
      case COALESCED -> Response.accepted(Map.of("applied", false, "coalesced", true)).build();
      case DENIED -> unauthorized(DENIED);
    };
  }

  private static ProgressReport parse(String body) {
    JsonNode node;
    try {
      node = body == null || body.isBlank() ? null : JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the body is not JSON: " + e.getOriginalMessage());
    }
    return ProgressReport.parse(node);
  }

  private static String bearerToken(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = authorization.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  private static Response unauthorized(String message) {
    return Response.status(Response.Status.UNAUTHORIZED)
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
        .entity(Map.of("error", message))
        .type(MediaType.APPLICATION_JSON)
        .build();
  }

  private static Response error(Response.Status status, String message) {
    return Response.status(status)
        .entity(Map.of("error", message))
        .type(MediaType.APPLICATION_JSON)
        .build();
  }
}
